"""DICOM signature profiles (PS3.15 Annex C) as DCMTK 3.6.7 implements them.

The tag lists are DCMTK's (``sicreapr.cc``, ``siautopr.cc``, ``sisrpr.cc``, ``sisrvpr.cc``;
dcmsign-behaviour.md §5 and Appendix B). A profile constrains signing (key type, required
attributes, dataset checks) and is tested during verification by ``+rc``, ``+ru`` and ``+rs``
(§5.1), which looks only at the attribute lists, never at the signature's validity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Final

from . import _core
from .exceptions import SignatureCreationError
from .vocabulary import KeyType, MacAlgorithm, Profile, VerificationPolicy

if TYPE_CHECKING:
    from .signers import Signer
    from .verification import Check

__all__ = [
    "SR_VERIFICATION_MISSING",
    "Profile",
    "check_dataset",
    "check_key",
    "required_if_present",
    "required_tags",
    "verification_check",
]


# Creator RSA: attributes that must be signed when present (exact tags).
_CREATOR: Final = frozenset(
    {
        0x00080008,  # ImageType
        0x00080012,  # InstanceCreationDate
        0x00080013,  # InstanceCreationTime
        0x00080016,  # SOPClassUID
        0x00080018,  # SOPInstanceUID
        0x00080022,  # AcquisitionDate
        0x00080023,  # ContentDate
        0x0008002A,  # AcquisitionDateTime
        0x00080032,  # AcquisitionTime
        0x00080033,  # ContentTime
        0x00080070,  # Manufacturer
        0x00080080,  # InstitutionName
        0x00080081,  # InstitutionAddress
        0x00081010,  # StationName
        0x00081040,  # InstitutionalDepartmentName
        0x00081041,  # InstitutionalDepartmentTypeCodeSequence
        0x00081090,  # ManufacturerModelName
        0x0008113A,  # ReferencedWaveformSequence
        0x00081140,  # ReferencedImageSequence
        0x0008114A,  # ReferencedInstanceSequence
        0x00082112,  # SourceImageSequence
        0x00082122,  # StageNumber
        0x00082124,  # NumberOfStages
        0x00082133,  # EventTimerSequence
        0x00082218,  # AnatomicRegionSequence
        0x00082228,  # PrimaryAnatomicStructureSequence
        0x00083010,  # IrradiationEventUID
        0x00083011,  # SourceIrradiationEventSequence
        0x00089092,  # ReferencedImageEvidenceSequence
        0x00089121,  # ReferencedRawDataSequence
        0x00089123,  # CreatorVersionUID
        0x00089154,  # SourceImageEvidenceSequence
        0x00089205,  # PixelPresentation
        0x00089206,  # VolumetricProperties
        0x00089207,  # VolumeBasedCalculationTechnique
        0x00089208,  # ComplexImageComponent
        0x00089209,  # AcquisitionContrast
        0x00089237,  # ReferencedPresentationStateSequence
        0x00089410,  # ReferencedOtherPlaneSequence
        0x00109431,  # ExaminedBodyThickness
        0x00180022,  # ScanOptions
        0x00180060,  # KVP
        0x00180087,  # MagneticFieldStrength
        0x00181000,  # DeviceSerialNumber
        0x00181002,  # DeviceUID
        0x00181008,  # GantryID
        0x0018100A,  # UDISequence
        0x00181020,  # SoftwareVersions
        0x00181050,  # SpatialResolution
        0x00181190,  # FocalSpots
        0x00181191,  # AnodeTargetMaterial
        0x001811A0,  # BodyPartThickness
        0x001811A2,  # CompressionForce
        0x001811A3,  # CompressionPressure
        0x001811A4,  # PaddleDescription
        0x001811A5,  # CompressionContactArea
        0x00181200,  # DateOfLastCalibration
        0x00181201,  # TimeOfLastCalibration
        0x00181320,  # B1rms
        0x00181500,  # PositionerMotion
        0x00181508,  # PositionerType
        0x00185010,  # TransducerData
        0x00185020,  # ProcessingFunction
        0x00185022,  # MechanicalIndex
        0x00185024,  # BoneThermalIndex
        0x00185026,  # CranialThermalIndex
        0x00185027,  # SoftTissueThermalIndex
        0x00185050,  # DepthOfScanField
        0x00187060,  # ExposureControlMode
        0x00187062,  # ExposureControlModeDescription
        0x00189004,  # ContentQualification
        0x00189052,  # SpectralWidth
        0x00189053,  # ChemicalShiftReference
        0x00189054,  # VolumeLocalizationTechnique
        0x00189059,  # Decoupling
        0x00189060,  # DecoupledNucleus
        0x00189061,  # DecouplingFrequency
        0x00189062,  # DecouplingMethod
        0x00189063,  # DecouplingChemicalShiftReference
        0x00189064,  # KSpaceFiltering
        0x00189065,  # TimeDomainFiltering
        0x00189066,  # NumberOfZeroFills
        0x00189067,  # BaselineCorrection
        0x00189073,  # AcquisitionDuration
        0x00189098,  # TransmitterFrequency
        0x00189100,  # ResonantNucleus
        0x00189101,  # FrequencyCorrection
        0x00189126,  # VolumeLocalizationSequence
        0x00189174,  # ApplicableSafetyStandardAgency
        0x00189175,  # ApplicableSafetyStandardDescription
        0x00189198,  # FirstOrderPhaseCorrection
        0x00189199,  # WaterReferencedPhaseCorrection
        0x00189297,  # WaterReferenceAcquisition
        0x00189328,  # ExposureTimeInms
        0x00189330,  # XRayTubeCurrentInmA
        0x00189332,  # ExposureInmAs
        0x00189361,  # MultienergyCTAcquisition
        0x00189410,  # PlanesInAcquisition
        0x00189423,  # AcquisitionProtocolName
        0x00189424,  # AcquisitionProtocolDescription
        0x00189457,  # PlaneIdentification
        0x00189622,  # FunctionalSettlingPhaseFramesPresent
        0x00189801,  # DepthsOfFocus
        0x0018980C,  # PositionMeasuringDeviceUsed
        0x0018980D,  # TransducerGeometryCodeSequence
        0x0018980E,  # TransducerBeamSteeringCodeSequence
        0x0018980F,  # TransducerApplicationCodeSequence
        0x0020000D,  # StudyInstanceUID
        0x0020000E,  # SeriesInstanceUID
        0x00200012,  # AcquisitionNumber
        0x00200013,  # InstanceNumber
        0x00200020,  # PatientOrientation
        0x00200052,  # FrameOfReferenceUID
        0x00200062,  # ImageLaterality
        0x00200242,  # SOPInstanceUIDOfConcatenationSource
        0x00201002,  # ImagesInAcquisition
        0x00204000,  # ImageComments
        0x00209161,  # ConcatenationUID
        0x00209162,  # InConcatenationNumber
        0x00209163,  # InConcatenationTotalNumber
        0x00209228,  # ConcatenationFrameOffsetNumber
        0x00209311,  # DimensionOrganizationType
        0x00220028,  # StereoPairsPresent
        0x00221095,  # ImplantName
        0x00221097,  # ImplantPartNumber
        0x00280002,  # SamplesPerPixel
        0x00280004,  # PhotometricInterpretation
        0x00280006,  # PlanarConfiguration
        0x00280008,  # NumberOfFrames
        0x00280010,  # Rows
        0x00280011,  # Columns
        0x00280034,  # PixelAspectRatio
        0x00280100,  # BitsAllocated
        0x00280101,  # BitsStored
        0x00280102,  # HighBit
        0x00280103,  # PixelRepresentation
        0x00280106,  # SmallestImagePixelValue
        0x00280107,  # LargestImagePixelValue
        0x00280120,  # PixelPaddingValue
        0x00280121,  # PixelPaddingRangeLimit
        0x00280300,  # QualityControlImage
        0x00280301,  # BurnedInAnnotation
        0x00280302,  # RecognizableVisualFeatures
        0x00281052,  # RescaleIntercept
        0x00281053,  # RescaleSlope
        0x00281101,  # RedPaletteColorLookupTableDescriptor
        0x00281102,  # GreenPaletteColorLookupTableDescriptor
        0x00281103,  # BluePaletteColorLookupTableDescriptor
        0x00281201,  # RedPaletteColorLookupTableData
        0x00281202,  # GreenPaletteColorLookupTableData
        0x00281203,  # BluePaletteColorLookupTableData
        0x00282000,  # ICCProfile
        0x00282002,  # ColorSpace
        0x00282110,  # LossyImageCompression
        0x00282112,  # LossyImageCompressionRatio
        0x00282114,  # LossyImageCompressionMethod
        0x00286010,  # RepresentativeFrameNumber
        0x00287FE0,  # PixelDataProviderURL
        0x003A0230,  # WaveformDataDisplayScale
        0x003A0231,  # WaveformDisplayBackgroundCIELabValue
        0x003A0240,  # WaveformPresentationGroupSequence
        0x0040000A,  # StageCodeSequence
        0x00400316,  # OrganDose
        0x00408302,  # EntranceDoseInmGy
        0x00408303,  # EntranceDoseDerivation
        0x00409096,  # RealWorldValueMappingSequence
        0x0040A032,  # ObservationDateTime
        0x0040A040,  # ValueType
        0x0040A043,  # ConceptNameCodeSequence
        0x0040A050,  # ContinuityOfContent
        0x0040A073,  # VerifyingObserverSequence
        0x0040A078,  # AuthorObserverSequence
        0x0040A07A,  # ParticipantSequence
        0x0040A07C,  # CustodialOrganizationSequence
        0x0040A171,  # ObservationUID
        0x0040A360,  # PredecessorDocumentsSequence
        0x0040A370,  # ReferencedRequestSequence
        0x0040A372,  # PerformedProcedureCodeSequence
        0x0040A375,  # CurrentRequestedProcedureEvidenceSequence
        0x0040A385,  # PertinentOtherEvidenceSequence
        0x0040A491,  # CompletionFlag
        0x0040A492,  # CompletionFlagDescription
        0x0040A493,  # VerificationFlag
        0x0040A496,  # PreliminaryFlag
        0x0040A504,  # ContentTemplateSequence
        0x0040A525,  # IdenticalDocumentsSequence
        0x0040A730,  # ContentSequence
        0x0040B020,  # WaveformAnnotationSequence
        0x0040E001,  # HL7InstanceIdentifier
        0x0040E008,  # DocumentClassCodeSequence
        0x00420010,  # DocumentTitle
        0x00420011,  # EncapsulatedDocument
        0x00420012,  # MIMETypeOfEncapsulatedDocument
        0x00420013,  # SourceInstanceSequence
        0x00420014,  # ListOfMIMETypes
        0x00420015,  # EncapsulatedDocumentLength
        0x00480102,  # ImageOrientationSlide
        0x00540202,  # TypeOfDetectorMotion
        0x00540220,  # ViewCodeSequence
        0x00540414,  # PatientGantryRelationshipCodeSequence
        0x00540500,  # SliceProgressionDirection
        0x00620001,  # SegmentationType
        0x00620002,  # SegmentSequence
        0x0062000E,  # MaximumFractionalValue
        0x00620010,  # SegmentationFractionalType
        0x00620013,  # SegmentsOverlap
        0x00660001,  # NumberOfSurfaces
        0x00660002,  # SurfaceSequence
        0x00660011,  # SurfacePointsSequence
        0x00660101,  # TrackSetSequence
        0x00686210,  # ImplantSize
        0x00686221,  # ImplantTemplateVersion
        0x00686222,  # ReplacedImplantTemplateSequence
        0x00686223,  # ImplantType
        0x00686224,  # DerivationImplantTemplateSequence
        0x00686225,  # OriginalImplantTemplateSequence
        0x00686226,  # EffectiveDateTime
        0x00686230,  # ImplantTargetAnatomySequence
        0x00686260,  # InformationFromManufacturerSequence
        0x00686265,  # NotificationFromManufacturerSequence
        0x006862A0,  # ImplantRegulatoryDisapprovalCodeSequence
        0x006862A5,  # OverallTemplateSpatialTolerance
        0x006863A0,  # MaterialsCodeSequence
        0x006863A4,  # CoatingMaterialsCodeSequence
        0x006863A8,  # ImplantTypeCodeSequence
        0x006863AC,  # FixationMethodCodeSequence
        0x00700001,  # GraphicAnnotationSequence
        0x00700080,  # ContentLabel
        0x00700081,  # ContentDescription
        0x00700082,  # PresentationCreationDate
        0x00700083,  # PresentationCreationTime
        0x00700084,  # ContentCreatorName
        0x00700086,  # ContentCreatorIdentificationCodeSequence
        0x00700087,  # AlternateContentDescriptionSequence
        0x00701901,  # VolumetricAnnotationSequence
        0x00701905,  # VolumetricPresentationInputAnnotationSequence
        0x00720002,  # HangingProtocolName
        0x00720008,  # HangingProtocolCreator
        0x00720100,  # NumberOfScreens
        0x00720102,  # NominalScreenDefinitionSequence
        0x00720420,  # StructuredDisplayBackgroundCIELabValue
        0x00720421,  # EmptyImageBoxCIELabValue
        0x00720422,  # StructuredDisplayImageBoxSequence
        0x00720424,  # StructuredDisplayTextBoxSequence
        0x00720430,  # ImageBoxSynchronizationSequence
        0x00760001,  # ImplantAssemblyTemplateName
        0x00760003,  # ImplantAssemblyTemplateIssuer
        0x00760006,  # ImplantAssemblyTemplateVersion
        0x00760008,  # ReplacedImplantAssemblyTemplateSequence
        0x0076000A,  # ImplantAssemblyTemplateType
        0x0076000C,  # OriginalImplantAssemblyTemplateSequence
        0x0076000E,  # DerivationImplantAssemblyTemplateSequence
        0x00760010,  # ImplantAssemblyTemplateTargetAnatomySequence
        0x00760020,  # ProcedureTypeCodeSequence
        0x00760030,  # SurgicalTechnique
        0x00760032,  # ComponentTypesSequence
        0x00760060,  # ComponentAssemblySequence
        0x00780001,  # ImplantTemplateGroupName
        0x00780010,  # ImplantTemplateGroupDescription
        0x00780020,  # ImplantTemplateGroupIssuer
        0x00780024,  # ImplantTemplateGroupVersion
        0x00780026,  # ReplacedImplantTemplateGroupSequence
        0x00780028,  # ImplantTemplateGroupTargetAnatomySequence
        0x0078002A,  # ImplantTemplateGroupMembersSequence
        0x007800B0,  # ImplantTemplateGroupVariationDimensionSequence
        0x00800006,  # SurfacePointPresentationValueData
        0x00800007,  # SurfacePointColorCIELabValueData
        0x00880200,  # IconImageSequence
        0x20500020,  # PresentationLUTShape
        0x300A012C,  # IsocenterPosition
        0x52009229,  # SharedFunctionalGroupsSequence
        0x52009230,  # PerFrameFunctionalGroupsSequence
        0x54000100,  # WaveformSequence
        0x60000010,  # OverlayRows
        0x60000011,  # OverlayColumns
        0x60000022,  # OverlayDescription
        0x60000040,  # OverlayType
        0x60000045,  # OverlaySubtype
        0x60000050,  # OverlayOrigin
        0x60000100,  # OverlayBitsAllocated
        0x60000102,  # OverlayBitPosition
        0x60001301,  # ROIArea
        0x60001302,  # ROIMean
        0x60001303,  # ROIStandardDeviation
        0x60001500,  # OverlayLabel
        0x60003000,  # OverlayData
        0x7FE00001,  # ExtendedOffsetTable
        0x7FE00002,  # ExtendedOffsetTableLengths
        0x7FE00010,  # PixelData
    }
)

# General Equipment attributes that both the Authorization list leaves out and the SR list
# requires (the SR list adds Manufacturer).
_EQUIPMENT: Final = frozenset(
    {
        0x00080080,  # InstitutionName
        0x00080081,  # InstitutionAddress
        0x00081010,  # StationName
        0x00081040,  # InstitutionalDepartmentName
        0x00081041,  # InstitutionalDepartmentTypeCodeSequence
        0x00081090,  # ManufacturerModelName
        0x00181000,  # DeviceSerialNumber
        0x00181020,  # SoftwareVersions
        0x00181008,  # GantryID
        0x0018100A,  # UDISequence
        0x00181002,  # DeviceUID
        0x00181050,  # SpatialResolution
        0x00181200,  # DateOfLastCalibration
        0x00181201,  # TimeOfLastCalibration
        0x00280120,  # PixelPaddingValue
    }
)

# Authorization RSA: the Creator list without these General Equipment and SOP attributes.
_AUTHORIZATION_REMOVED: Final = _EQUIPMENT | {
    0x00080012,  # InstanceCreationDate
    0x00080013,  # InstanceCreationTime
    0x00660101,  # TrackSetSequence
}
_AUTHORIZATION: Final = _CREATOR - _AUTHORIZATION_REMOVED

# SR RSA: attributes that must be signed when present.
_SR: Final = _EQUIPMENT | {
    0x00080016,  # SOPClassUID
    0x0020000D,  # StudyInstanceUID
    0x0020000E,  # SeriesInstanceUID
    0x00080070,  # Manufacturer
    0x0040A375,  # CurrentRequestedProcedureEvidenceSequence
    0x0040A385,  # PertinentOtherEvidenceSequence
    0x0040A360,  # PredecessorDocumentsSequence
    0x0040A032,  # ObservationDateTime
    0x0040A040,  # ValueType
    0x0040A043,  # ConceptNameCodeSequence
    0x0040A050,  # ContinuityOfContent
    0x0040A504,  # ContentTemplateSequence
    0x0040A171,  # ObservationUID
    0x0040A730,  # ContentSequence
}

# SR RSA verification: the SR list and the verification attributes.
_SR_VERIFICATION: Final = _SR | {
    0x00080018,  # SOPInstanceUID
    0x0040A493,  # VerificationFlag
    0x0040A073,  # VerifyingObserverSequence
    0x0040A030,  # VerificationDateTime
}

_SOP_AND_SERIES = frozenset({0x00080016, 0x0020000D, 0x0020000E})
_UNCONDITIONAL: Final[dict[Profile, frozenset[int]]] = {
    Profile.CREATOR_RSA: _SOP_AND_SERIES | {0x00080018},
    Profile.AUTHORIZATION_RSA: _SOP_AND_SERIES | {0x00080018},
    Profile.SR_RSA: _SOP_AND_SERIES,
    Profile.SR_RSA_VERIFICATION: _SOP_AND_SERIES | {0x00080018, 0x0040A493, 0x0040A073},
}

# Curve attributes of the repeating groups 5000-501E (even), required by Creator and
# Authorization RSA.
_CURVE_ELEMENTS: Final = frozenset(
    {
        0x0005,
        0x0010,
        0x0022,
        0x0030,
        0x0040,
        0x0103,
        0x0104,
        0x0105,
        0x0106,
        0x0110,
        0x0112,
        0x0114,
        0x2500,
        0x2600,
        0x3000,
    }
)
_CREATOR_VERSION_UID: Final = 0x00089123
_VALUE_TYPE: Final = 0x0040A040
_CONCEPT_NAME_CODE_SEQUENCE: Final = 0x0040A043
_CONTENT_SEQUENCE: Final = 0x0040A730
_VERIFICATION_FLAG: Final = 0x0040A493


def _is_curve(tag: int) -> bool:
    group = tag >> 16
    return 0x5000 <= group <= 0x501E and group % 2 == 0 and (tag & 0xFFFF) in _CURVE_ELEMENTS


def required_if_present(profile: Profile, present: Iterable[int]) -> Callable[[int], bool]:
    """A predicate: must ``tag`` be signed under ``profile`` when it is present?

    ``present`` are the tags of the container (Creator and Authorization RSA require every
    private attribute when Creator Version UID is present).
    """
    if profile in (Profile.NONE, Profile.BASE_RSA):
        return lambda tag: False
    if profile in (Profile.SR_RSA, Profile.SR_RSA_VERIFICATION):
        table = _SR if profile is Profile.SR_RSA else _SR_VERIFICATION
        return table.__contains__
    table = _CREATOR if profile is Profile.CREATOR_RSA else _AUTHORIZATION
    raw_data = _CREATOR_VERSION_UID in set(present)

    def required(tag: int) -> bool:
        return tag in table or _is_curve(tag) or (raw_data and (tag >> 16) % 2 == 1)

    return required


def required_tags(profile: Profile) -> frozenset[int]:
    """The attributes that must be signed under ``profile``, present or not."""
    return _UNCONDITIONAL.get(profile, frozenset())


def _text(doc: _core.Document, container: list[tuple[int, int]], tag: int) -> str | None:
    value = doc.value(container, tag)
    if value is None:
        return None
    return value.split(b"\0", 1)[0].decode("latin-1").strip()


def _is_sr(tags: set[int]) -> bool:
    return {_VALUE_TYPE, _CONCEPT_NAME_CODE_SEQUENCE, _CONTENT_SEQUENCE} <= tags


def inspect(profile: Profile, doc: _core.Document, container: list[tuple[int, int]]) -> bool:
    """DCMTK's dataset check of a profile (SR profiles need an SR; ``+pv`` a VERIFIED one)."""
    if profile not in (Profile.SR_RSA, Profile.SR_RSA_VERIFICATION):
        return True
    tags = {tag for tag, _vr, _signable, _sq in doc.elements(container)}
    if not _is_sr(tags):
        return False
    if profile is Profile.SR_RSA_VERIFICATION:
        return _text(doc, container, _VERIFICATION_FLAG) == "VERIFIED"
    return True


#: DCMTK's warning when ``+pr`` signs a VERIFIED SR that has no Verification Signature yet.
SR_VERIFICATION_MISSING: Final = (
    "SR document status is 'VERIFIED', but the verification signature is missing"
)
_VERIFICATION_PURPOSE: Final = "5"


def check_dataset(
    profile: Profile,
    doc: _core.Document,
    container: list[tuple[int, int]],
    where: str,
    warn: Callable[[str], None] | None = None,
) -> None:
    """Refuse a dataset the profile does not allow; DCMTK's first check when signing.

    SR RSA (``+pr``) also warns when the SR is ``VERIFIED`` and none of the container's
    signatures has the purpose code value ``5`` (Verification Signature) in the first item of
    its purpose sequence: DCMTK checks that before the key, so the warning comes first.

    Raises
    ------
    SignatureCreationError
        ``dataset not suitable for the selected security profile`` (exit code 85).
    """
    if not inspect(profile, doc, container):
        raise SignatureCreationError(
            f"dataset not suitable for the selected security profile while creating signature "
            f"in {where}"
        )
    verified = _text(doc, container, _VERIFICATION_FLAG) == "VERIFIED"
    if profile is Profile.SR_RSA and warn is not None and verified:
        signatures, _skipped = doc.signatures()
        if not any(
            sig.container == container and sig.purpose == _VERIFICATION_PURPOSE
            for sig in signatures
        ):
            warn(SR_VERIFICATION_MISSING)


def check_key(profile: Profile, signer: Signer, where: str) -> None:
    """Refuse a key type the profile does not allow (DCMTK's message, exit code 85).

    Every profile refuses keys DCMTK cannot sign with; the profiles other than "none" need
    RSA.
    """
    allowed = (
        (KeyType.RSA, KeyType.DSA, KeyType.EC, KeyType.DH)
        if profile is Profile.NONE
        else (KeyType.RSA,)
    )
    if signer.key_type not in allowed:
        raise SignatureCreationError(
            "signature algorithm not allowed for the selected security profile "
            f"while creating signature in {where}"
        )


_IMPLICIT_OR_BIG = ("1.2.840.10008.1.2", "1.2.840.10008.1.2.2")


def _fulfils(profile: Profile, check: Check, present: list[int]) -> bool:
    sig = check.verdict.signature
    key_type = check.verdict.key_type
    if not sig.has_mac or key_type is None or key_type is KeyType.NONE:
        return False
    if sig.container:
        return False
    ts = sig.mac_transfer_syntax
    if ts is None or _core.transfer_syntax_name(ts) is None or ts in _IMPLICIT_OR_BIG:
        return False
    if key_type is not KeyType.RSA:
        return False
    if sig.mac_algorithm not in tuple(MacAlgorithm):
        return False
    signed = sig.tags
    if signed is None or sig.tags_vr != "AT":
        return False
    signed_set = set(signed)
    if not all(_core.is_signable_tag(t) for t in signed):
        return False
    required = required_if_present(profile, present)
    for tag in present:
        if _core.is_signable_tag(tag) and tag not in signed_set and required(tag):
            return False
    return required_tags(profile) <= signed_set


def verification_check(doc: _core.Document, policy: VerificationPolicy) -> Callable[[Check], bool]:
    """The test of ``+rc``, ``+ru`` or ``+rs``: does a signature fulfil the profile?

    For ``+rs`` the profile is SR RSA verification when the main dataset's Verification Flag
    is ``VERIFIED``, else SR RSA.
    """
    if policy is VerificationPolicy.CREATOR:
        profile = Profile.CREATOR_RSA
    elif policy is VerificationPolicy.AUTHORIZATION:
        profile = Profile.AUTHORIZATION_RSA
    elif _text(doc, [], _VERIFICATION_FLAG) == "VERIFIED":
        profile = Profile.SR_RSA_VERIFICATION
    else:
        profile = Profile.SR_RSA
    present = [tag for tag, _vr, _signable, _sq in doc.elements([])]
    inspected = inspect(profile, doc, [])

    def check(c: Check) -> bool:
        return inspected and _fulfils(profile, c, present)

    return check
