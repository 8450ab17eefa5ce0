"""Support for tests and benchmarks, never for the product: a signed result stored through the real
store stage (`testing.storage`), the browser the page tests drive (`testing.browser`).

Only tests and benches (`*/bench.py`) import this package (tests/test_architecture.py checks it).
"""
