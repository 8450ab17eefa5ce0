"""sohoa: digitising paper results of administrative procedures (Decree 45/2020/NĐ-CP Art. 25)."""

__version__ = "0.1.0"
