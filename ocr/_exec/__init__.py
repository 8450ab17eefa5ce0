"""The only places where the OCR stage runs external programs (tesseract, poppler)."""
