"""The kit's one reading layer: every data file the kit loads is read through here.

* :mod:`~gnnrec_utils.io.errors`: :class:`DataFormatError` (file, line, expected,
  found), :class:`MissingFileError`, and the helpers that point an error at the first
  bad row (:func:`first_bad`, :func:`raise_earliest`, :func:`check_unique`);
* :mod:`~gnnrec_utils.io.kinds`: what a column may hold (:class:`Integer`,
  :class:`Number`, :class:`Text`, :class:`OneOf` and the common ones, ``ID``, ``SECONDS`` ...);
* :mod:`~gnnrec_utils.io.files`: finding a file, opening it plain or gzip-compressed,
  reading it in blocks of whole lines;
* :mod:`~gnnrec_utils.io.delimited`: :class:`FileFormat` and :func:`read_blocks` /
  :func:`read_table`: header, separator, encoding and width checks, the fast and the
  careful parse, line numbers counted over the whole file;
* :mod:`~gnnrec_utils.io.jsonlines`: :func:`read_json_blocks`.

The kit's own shop tables (:mod:`gnnrec_utils.data`) and the public datasets
(:mod:`gnnrec_utils.datasets`) are loaded through it.
"""

from gnnrec_utils.io.delimited import FileFormat, read_blocks, read_table
from gnnrec_utils.io.errors import DataFormatError, MissingFileError, PathLike
from gnnrec_utils.io.files import BLOCK_BYTES, find_file
from gnnrec_utils.io.jsonlines import read_json_blocks

__all__ = [
    "BLOCK_BYTES",
    "DataFormatError",
    "FileFormat",
    "MissingFileError",
    "PathLike",
    "find_file",
    "read_blocks",
    "read_json_blocks",
    "read_table",
]
