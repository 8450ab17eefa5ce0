"""The extraction stage: OCR words to a typed record (document type, fields with calibrated
confidences, the archive catalogue's repairs). Its door is `extract.batch.extract_batch`; the
readers themselves live in `ocr/` (header, signature, labelled fields), to move here in time."""
