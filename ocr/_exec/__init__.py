"""The only places where the OCR stage runs external tools: tesseract, poppler, and onnxruntime (the second recogniser's network)."""
