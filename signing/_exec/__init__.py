"""The signing stage's seams to external programs: pdfsig and NSS's certutil (pdfsig.py), SoftHSM2's
softhsm2-util (softhsm.py). They run through core.tools; poppler's page tools are ocr/_exec/poppler.py."""
