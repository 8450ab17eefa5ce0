"""The seams of external tools the OCR stage needs: tesseract, poppler (shared with signing/: `sohoa
sign` rasterises PDF scans and verification reads marker text here), and onnxruntime (the second
recogniser's network). Programs run through core.tools."""
