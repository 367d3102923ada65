"""
Coverage-guided fuzz targets for the parsers of ws_frames, ws_http and
ws_deflate, run with atheris.

Each module is one target: a ``check(data)`` function that feeds arbitrary
bytes to a parser through its public API and asserts that only the
documented exceptions come out and that round trips hold. :mod:`fuzz.run`
runs them; :mod:`fuzz.engine` runs one under atheris.

"""
