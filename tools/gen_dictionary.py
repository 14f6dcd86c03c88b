"""Generate ``python/dicomsign/data/dictionary.tsv`` from pydicom's data dictionary.

The table is the project's one data dictionary, read by the Rust engine. It tells the reader
which VR to give an element of an implicit VR file, and the tag and the option commands which
names DCMTK 3.6.7 knows (``-t``, ``-tf``, ``--sign-item`` locations, the API's keywords), the
way DCMTK 3.6.7 does. pydicom is the only data source; a few hand-written rules
(``HAND_MASKS`` and ``REPEATER_INSTANCES`` for VRs, the DCMTK keyword lists below) mirror DCMTK
behaviour that pydicom's dictionary does not express. See ``tools/dictionary-differences.md``
for the research behind them.

Run ``python3 tools/gen_dictionary.py`` to rewrite the committed file, or
``python3 tools/gen_dictionary.py --check`` to compare it with a fresh
generation (exit code 1 if it differs).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pydicom
from pydicom._dicom_dict import DicomDictionary, RepeatersDictionary
from pydicom._private_dict import private_dictionaries
from pydicom.datadict import dictionary_is_retired
from pydicom.datadict import tag_for_keyword as pydicom_tag_for_keyword

TABLE_PATH = (
    Path(__file__).resolve().parent.parent / "python" / "dicomsign" / "data" / "dictionary.tsv"
)

#: pydicom VR strings with more than one VR, mapped to the pseudo-VR that the
#: Rust side resolves with DCMTK's rules (dcmsign-behaviour.md section 1.2).
#: ``OB_OW`` is the spelling used by one entry of pydicom's private dictionary.
PSEUDO_VRS: dict[str, str] = {
    "US or SS": "xs",
    "OB or OW": "ox",
    "OB_OW": "ox",
    "US or OW": "lt",
    "US or SS or OW": "lt",
}

#: Tag of Pixel Data: DCMTK's dictionary gives it the pseudo-VR ``px`` (always
#: OW in an implicit VR file), where every other "OB or OW" element is ``ox``.
PIXEL_DATA = 0x7FE00010

#: pydicom VR for the item and delimitation tags, which have no VR at all.
NO_VR = "NONE"

#: Hand-written rules, each mirroring a DCMTK 3.6.7 dictionary entry that has
#: no counterpart in pydicom's dictionary.  Every rule is written to the table
#: as an ``M`` line (mask, VR, keyword) *before* pydicom's masks, so that it
#: wins over pydicom's ``1000xxx0`` and ``1010xxxx`` masks for (1000,0000) and
#: (1010,0000), as in DCMTK.
HAND_MASKS: tuple[tuple[str, str, str, str], ...] = (
    (
        "xxxx0000",
        "UL",
        "GenericGroupLength",
        # DCMTK's dicom.dic has "(0000-u-FFFF,0000) UL GenericGroupLength": a
        # group length element of any group is read as UL.  pydicom lists only
        # (0000,0000) and (0002,0000) and hard-codes UL for other group lengths
        # in its reader instead.
        "DCMTK (0000-u-FFFF,0000) UL GenericGroupLength: every group length is UL",
    ),
)

#: pydicom masks with ``x`` in the element part.  DCMTK 3.6.7's dicom.dic does
#: not repeat these retired ACR-NEMA elements: it lists one instance of each
#: (0028,04x0..04x3 at x=1; 0028,08x0..08x8 at x=0; 1000,xxx0..xxx5 at
#: xxx=001; 1010,xxxx at 0004), and its (0020,3100-31FF) range matches even
#: elements only (a DCMTK range without "-u-" is even-only).  Any other
#: instance is an unknown tag to DCMTK.  Each mask maps to the digit strings
#: that replace its ``x`` characters; the instances become ``E`` lines with
#: pydicom's VR and keyword, and the mask itself is not written.
REPEATER_INSTANCES: dict[str, tuple[str, ...]] = {
    "002031xx": tuple(f"{low:02X}" for low in range(0x00, 0x100, 2)),
    "002804x0": ("1",),
    "002804x1": ("1",),
    "002804x2": ("1",),
    "002804x3": ("1",),
    "002808x0": ("0",),
    "002808x2": ("0",),
    "002808x3": ("0",),
    "002808x4": ("0",),
    "002808x8": ("0",),
    "1000xxx0": ("001",),
    "1000xxx1": ("001",),
    "1000xxx2": ("001",),
    "1000xxx3": ("001",),
    "1000xxx4": ("001",),
    "1000xxx5": ("001",),
    "1010xxxx": ("0004",),
}

# Repeating retired elements whose mask covers element digits: DCMTK 3.6.7's dictionary lists
# them at one fixed tag instead of the lowest of the range.
DCMTK_REPEATER_TAGS = {
    "RowsForNthOrderCoefficients": 0x00280410,
    "ColumnsForNthOrderCoefficients": 0x00280411,
    "CoefficientCoding": 0x00280412,
    "CoefficientCodingPointers": 0x00280413,
    "EscapeTriplet": 0x10000010,
    "RunLengthTriplet": 0x10000011,
    "HuffmanTableSize": 0x10000012,
    "HuffmanTableTriplet": 0x10000013,
    "ShiftTableSize": 0x10000014,
    "ShiftTableTriplet": 0x10000015,
    "ZonalMap": 0x10100004,
}
# Keywords of DCMTK 3.6.7's dictionary that pydicom does not have.
DCMTK_ONLY_KEYWORDS = {
    "CurrentFrameFunctionalGroupsSequence": 0x00060001,
    "PrivateGroupLength": 0x00090000,
    "PrivateCreator": 0x00090010,
    "IllegalGroupLength": 0x00010000,
    "IllegalPrivateCreator": 0x00010010,
    "GenericGroupLength": 0x00000000,
}

# pydicom 3.0.2 keywords that DCMTK 3.6.7's dicom.dic (DICOM 2022b) does not have.
NEWER_THAN_DCMTK_TEXT = """
    AcousticCouplingMediumCodeSequence AcousticCouplingMediumFlag
    AcousticCouplingMediumSoundSpeed AcousticCouplingMediumTemperature AcquisitionDeviceSequence
    AcquisitionInitiationSequence AcquisitionMethod AcquisitionSignalType
    AcquisitionSubtaskIndex AcquisitionSubtaskSequence AcquisitionTaskApplicabilitySequence
    AcquisitionTaskIndex AcquisitionTaskSequence AcquisitionTaskWorkitemCodeSequence
    AdditionalRTAccessoryDeviceSequence AnalogFilterCharacteristicsSequence AnalogFilterRollOff
    AnalogFilterType BeamHoldTransitionTriggerSource BeamModifierCoordinatesPresenceFlag
    CTImagingAcquisitionParameterSequence CenterFrequency ClinicalTrialTimePointTypeCodeSequence
    ConceptualVolumeIdentificationSequence ConfocalMicroscopyImageFrameTypeSequence ConfocalMode
    ContainerFileType DataElement DataElementConditionality DataElementDescription
    DataElementLabelItemSequence DataElementLabelSequence DataElementMaximumCharacters
    DataElementMinimumCharacters DataElementName DateOfInstallation DateOfManufacture
    DetectorPositioningType DevicePositionParameterSequence
    DevicePositionToEquipmentMappingMatrix DeviceSpecificAcquisitionParameterSequence
    DigitalFilterCharacteristicsSequence DigitalFilterOrder DigitalFilterTypeCodeSequence
    DoseValueInterpretation EmptyValueMatchingSequence EncapsulatedPixelDataValueTotalLength
    EnergyDerivationCodeSequence EnhancedRTBeamLimitingDeviceDefinitionFlag
    EnhancedRTBeamLimitingDeviceSequence EnhancedRTBeamLimitingOpeningSequence
    EthnicGroupCodeSequence ExcitationEnergy ExcitationPulseDuration ExcitationSpectralWidth
    ExcitationWavelength ExcitationWavelengthSequence ExpirationDateTime
    ExtendedMatchingMechanisms FailedStudySequence FileAccessSequence FileAccessURI
    FileLengthInContainer FileOffsetInContainer FileSetAccessSequence FilenameInContainer
    FilterHighFrequencyCharacteristicsSequence FilterLookupTableData
    FilterLookupTableDescription FilterLookupTableSequence
    FilterLowFrequencyCharacteristicsSequence FolderAccessURI FractionalBandwidth
    FrequencyEncodingCodeSequence GeneralMatchingSequence IlluminationTranslationFlag
    ImageAcquisitionDepth ImageDataTypeCodeSequence ImageReceptorPositionSequence
    ImagingApertureSequence ImagingApertureSpecificationType ImagingDeviceLocationMatrixSequence
    ImagingDeviceLocationParameterSequence
    ImagingEquipmentToTreatmentDeliveryDeviceRelationshipSequence
    ImagingSourceLocationSpecificationType ImagingSourcePositionSequence
    ImagingSourceToBeamModifierDefinitionPlaneDistance IncorporatedInventoryInstanceSequence
    InventoriedInstancesSequence InventoriedSeriesSequence InventoriedStudiesSequence
    InventoryAccessEndPointsSequence InventoryCompletionStatus InventoryInstanceDescription
    InventoryLevel InventoryPurpose IssuerOfClinicalTrialProtocolID
    IssuerOfClinicalTrialSeriesID IssuerOfClinicalTrialSiteID IssuerOfClinicalTrialSubjectID
    IssuerOfClinicalTrialSubjectReadingID IssuerOfClinicalTrialTimePointID ItemInventoryDateTime
    KVImagingGenerationParametersSequence ListOfUIDMatchingSequence LowerCutoffFrequency
    MVImagingGenerationParametersSequence MagnitudeEncodingCodeSequence
    MaximumCumulativeMetersetExposure MaximumNumberOfRecords MetadataSequence
    NotchFilterCharacteristicsSequence NumberOfAcquisitionDevices NumberOfStudyRecordsInInstance
    ObjectSoundSpeed OtherClinicalTrialProtocolIDsSequence ParallelRTBeamDelimiterOpeningExtents
    PatientToEquipmentRelationshipSequence PatientTreatmentPreparationSequence
    PhotoacousticExcitationCharacteristicsSequence PhotoacousticImageFrameTypeSequence
    PositionAcquisitionTemplateCodeSequence PositionAcquisitionTemplateDescription
    PositionAcquisitionTemplateID PositionAcquisitionTemplateIdentificationSequence
    PositionAcquisitionTemplateName PriorRecordKey ProjectionImagingAcquisitionParameterSequence
    ROICreatorSequence ROIDateTime ROIInterpreterSequence ROIObservationContextCodeSequence
    ROIObservationDateTime RTAcquisitionPatientPositionSequence RTImageFrameContextSequence
    RTImageFrameGeneralContentSequence RTImageFrameImagingDevicePositionSequence
    RTImageFrameMVRadiationAcquisitionSequence RTImageFrameRadiationAcquisitionSequence
    RTImageFramekVRadiationAcquisitionSequence RTImageScopeSequence RangeMatchingSequence
    ReasonForRemovalCodeSequence RecordKey
    ReferencedBaselineParametersRTRadiationInstanceSequence
    ReferencedInstancesBySOPClassSequence ReferencedPositionReferenceInstanceSequence
    RemovedFromOperationalUse RequestedStatusInterval RetainInstances ScanArcType
    ScanStartPositionSequence ScanStopPositionSequence ScopeOfInventorySequence
    SelectedFrameFunctionalGroupsSequence SelectedFrameNumber
    SoundSpeedCorrectionMechanismCodeSequence SourceSeriesInformationSequence
    SourceSeriesSequence StartCumulativeMeterset StopCumulativeMeterset StoredInstanceBaseURI
    StoredInstanceTransferSyntaxUID StudyAccessEndPointsSequence StudyUpdateDateTime
    SubtaskWorkitemCodeSequence SummarizedFilterLookupTable SyntheticData
    TableTopPositionAlignmentUID TissueLocation TotalNumberOfStudyRecords TransactionStatus
    TransactionStatusComment TransducerResponseSequence TransducerTechnologySequence
    UpdatedMetadataSequence UpperCutoffFrequency UsedRTStructureSetROISequence
    VariableModalityLUTSequence VertexDistance WaveformAmplifierType WaveformFilterDescription
    WaveformFilterType
"""
NEWER_THAN_DCMTK = frozenset(NEWER_THAN_DCMTK_TEXT.split())

# Retired in pydicom 3.0.2 but current (so named without ``RETIRED_``) in DCMTK 3.6.7.
CURRENT_IN_DCMTK = frozenset(
    [
        "DoseValue",
        "ROIObservationDescription",
        "ROIObservationLabel",
        "RTDoseROISequence",
        "ReferencedPatientAliasSequence",
        "RoboticBaseLocationIndicator",
        "TreatmentTerminationCode",
        "WeightingLookupTableData",
        "WeightingLookupTableDescriptor",
    ]
)


#: Mask forms of pydicom's private dictionary that pydicom's own lookup
#: (``pydicom.datadict.get_private_entry``) consults, in that order: the exact
#: tag, the tag with the block byte replaced by ``xx``, and the group range
#: with ``xx`` block.  Entries in any other form (``ggggee xx``, e.g. GE's
#: ``001910xx`` "Private Element Creator") are never found by pydicom and
#: would clash with DCMTK's rule that private creators are LO, so they are
#: left out.
_PRIVATE_MASK_FORMS = (
    re.compile(r"[0-9A-F]{8}"),
    re.compile(r"[0-9A-F]{4}xx[0-9A-F]{2}"),
    re.compile(r"[0-9A-F]{2}xxxx[0-9A-F]{2}"),
)

_VR_RE = re.compile(r"[A-Z]{2}|xs|ox|px|lt")

HEADER = """\
# dicomsign data dictionary: element VRs for reading implicit VR files as DCMTK 3.6.7 does.
# Generated by tools/gen_dictionary.py from pydicom {version}; do not edit by hand.
# UTF-8, one entry per line, fields separated by one TAB, '#' starts a comment line.
#   E  GGGGEEEE  VR  Keyword           exact public tag (keyword may be empty: pydicom has none)
#   M  MASK      VR  Keyword           repeating tag, 8 chars, 'x' = any hex digit
#   P  CREATOR   MASK  VR  Name        private tag of CREATOR (exact text), MASK 'GGGGEEEE',
#                                      'GGGGxxEE' (xx = block) or 'GGxxxxEE'
#   K  Keyword   GGGGEEEE  c|r         a keyword of DCMTK 3.6.7's public dictionary and its tag;
#                                      r: DCMTK names it RETIRED_<Keyword>, c: current
# Pseudo-VRs, resolved with DCMTK's rules: xs = US or SS, ox = OB or OW, px = Pixel Data,
# lt = US or OW (written as OW).  Elements pydicom lists without VR (items) are omitted.
# Lookup for tag (g,e): even g: E exact, else first matching M.  Odd g: e=0000 UL and
# e=0010..00FF LO (DCMTK generic rules, not in this table); e>=1000 with a creator for block
# e>>8 in the same item: P exact, then GGGGxxEE, then GGxxxxEE; anything else is unknown.
"""


def map_vr(vr: str, tag: int | None = None) -> str | None:
    """Map a pydicom VR string to the VR written in the table.

    Parameters
    ----------
    vr : str
        The VR as pydicom spells it, e.g. ``"US"`` or ``"US or SS"``.
    tag : int, optional
        The tag, for the Pixel Data special case.

    Returns
    -------
    str or None
        The table VR, or ``None`` for entries without a VR (items).
    """
    if vr == NO_VR:
        return None
    if tag == PIXEL_DATA:
        return "px"
    mapped = PSEUDO_VRS.get(vr, vr)
    if not _VR_RE.fullmatch(mapped):
        raise ValueError(f"unexpected VR {vr!r} in pydicom's dictionary")
    return mapped


def _clean(text: str) -> str:
    """Return ``text`` safe for one TAB-separated field."""
    if any(ch in text for ch in "\t\r\n"):
        raise ValueError(f"field contains a TAB or line break: {text!r}")
    return text


def public_lines() -> Iterator[str]:
    """Yield the ``E`` lines of pydicom's public dictionary, in tag order."""
    for tag in sorted(DicomDictionary):
        vr_text, _vm, _name, _retired, keyword = DicomDictionary[tag]
        vr = map_vr(vr_text, tag)
        if vr is None:
            continue
        yield f"E\t{tag:08X}\t{vr}\t{_clean(keyword)}"


def _instantiate(mask: str, digits: str) -> int:
    """Return the tag made by replacing the ``x`` characters of ``mask`` with ``digits``."""
    chars = iter(digits)
    text = "".join(next(chars) if ch == "x" else ch for ch in mask)
    return int(text, 16)


def instance_lines() -> Iterator[str]:
    """Yield ``E`` lines for the element-repeating masks DCMTK instantiates (hand rule)."""
    lines: list[tuple[int, str]] = []
    for mask, instances in REPEATER_INSTANCES.items():
        vr_text, _vm, _name, _retired, keyword = RepeatersDictionary[mask]
        vr = map_vr(vr_text)
        if vr is None:
            continue
        for digits in instances:
            tag = _instantiate(mask, digits)
            lines.append((tag, f"E\t{tag:08X}\t{vr}\t{_clean(keyword)}"))
    for _tag, line in sorted(lines):
        yield line


def repeater_lines() -> Iterator[str]:
    """Yield the hand-written ``M`` lines, then those of pydicom's repeaters dictionary."""
    for hand_mask, hand_vr, hand_keyword, why in HAND_MASKS:
        yield f"# hand rule: {why}"
        yield f"M\t{hand_mask}\t{hand_vr}\t{hand_keyword}"
    for mask in sorted(RepeatersDictionary):
        if mask in REPEATER_INSTANCES:
            continue
        vr_text, _vm, _name, _retired, keyword = RepeatersDictionary[mask]
        vr = map_vr(vr_text)
        if vr is None:
            continue
        yield f"M\t{mask}\t{vr}\t{_clean(keyword)}"


def private_lines() -> Iterator[str]:
    """Yield the ``P`` lines of pydicom's private dictionary, by creator and mask."""
    for creator in sorted(private_dictionaries):
        entries = private_dictionaries[creator]
        for mask in sorted(entries):
            if not any(form.fullmatch(mask) for form in _PRIVATE_MASK_FORMS):
                continue
            vr_text, _vm, name, _retired = entries[mask]
            vr = map_vr(vr_text)
            if vr is None:
                continue
            yield f"P\t{_clean(creator)}\t{mask}\t{vr}\t{_clean(name)}"


def _keyword_tag(name: str, repeaters: dict[str, int]) -> int | None:
    """The tag pydicom (or DCMTK's few extra entries) gives a bare keyword, retired or not."""
    tag = pydicom_tag_for_keyword(name)
    if tag is None:
        tag = repeaters.get(name, DCMTK_ONLY_KEYWORDS.get(name))
    return tag


def _retired_in_dcmtk(name: str, tag: int) -> bool:
    """Whether DCMTK 3.6.7 names the attribute ``RETIRED_<name>``."""
    if name in CURRENT_IN_DCMTK:
        return False
    try:
        return bool(dictionary_is_retired(tag))
    except KeyError:  # a DCMTK-only name (e.g. PrivateCreator): not in pydicom's dictionary
        return False


def keyword_lines() -> Iterator[str]:
    """Yield the ``K`` lines: every keyword DCMTK 3.6.7 knows, with its tag and whether DCMTK
    names it ``RETIRED_<keyword>``, in keyword order."""
    repeaters = {
        entry[4]: int(mask.replace("x", "0"), 16)
        for mask, entry in RepeatersDictionary.items()
        if entry[4]
    }
    repeaters.update(DCMTK_REPEATER_TAGS)
    names = {entry[4] for entry in DicomDictionary.values() if entry[4]}
    names |= set(repeaters) | set(DCMTK_ONLY_KEYWORDS)
    for name in sorted(names - NEWER_THAN_DCMTK):
        if not name.isascii() or not name.isalnum():
            continue
        tag = _keyword_tag(name, repeaters)
        if tag is None:
            continue
        flag = "r" if _retired_in_dcmtk(name, tag) else "c"
        yield f"K\t{_clean(name)}\t{tag:08X}\t{flag}"


def generate() -> str:
    """Return the full text of the dictionary table.

    Returns
    -------
    str
        The table, UTF-8 text with ``\\n`` line ends.
    """
    parts = [HEADER.format(version=pydicom.__version__)]
    parts.append("# Public tags (pydicom DicomDictionary)\n")
    parts.extend(line + "\n" for line in public_lines())
    parts.append(
        "# Element-repeating pydicom masks, only the instances DCMTK 3.6.7 knows"
        " (hand rule, see REPEATER_INSTANCES in the generator)\n"
    )
    parts.extend(line + "\n" for line in instance_lines())
    parts.append("# Repeating groups (hand rules first, then pydicom RepeatersDictionary)\n")
    parts.extend(line + "\n" for line in repeater_lines())
    parts.append("# Private tags (pydicom private_dictionaries)\n")
    parts.extend(line + "\n" for line in private_lines())
    parts.append("# Keywords of DCMTK 3.6.7's public dictionary (hand lists in the generator)\n")
    parts.extend(line + "\n" for line in keyword_lines())
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Write the table, or with ``--check`` compare it with the committed file.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 if ``--check`` found a difference.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--output", type=Path, default=TABLE_PATH, help="table path")
    args = parser.parse_args(argv)
    text = generate()
    path: Path = args.output
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is out of date: run tools/gen_dictionary.py", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
