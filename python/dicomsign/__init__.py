"""DICOM digital signatures."""
