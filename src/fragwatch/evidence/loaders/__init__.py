"""Loaders for public data exports: World Bank WDI, UCDP GED and ACLED.

Each loader turns one downloaded file into evidence rows in the ordinary schema, with provenance
(data set, release or download date, the data set's own row id) in the source row, the ids and
each row's quote. Large event exports are read in blocks with pyarrow and written as Parquet;
nothing reaches the evidence library unless the whole file passed (see ``evidence.batches``).
"""
