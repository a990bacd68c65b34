-- omsi-catalog schema, migration 0006: what conversion learned about each
-- dataset's content (issue "See the data").
-- peaks: the peak list of a dataset's mean spectrum, indexed by m/z so that
-- `query --peak MZ` finds the datasets in which an ion is actually present.
-- coverage: fraction of the dataset's spectra above their own noise level
-- at the peak's bin.
CREATE TABLE peaks (
    id         INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    mz         REAL    NOT NULL,
    intensity  REAL    NOT NULL,
    coverage   REAL    NOT NULL
);
CREATE INDEX peaks_mz ON peaks(mz);
CREATE INDEX peaks_dataset ON peaks(dataset_id);

-- thumbnails: a small TIC image of each dataset (PNG, longest side <= 256).
CREATE TABLE thumbnails (
    dataset_id INTEGER PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    png        BLOB    NOT NULL
);

-- Where the summaries live in the output file ('' when none were made).
ALTER TABLE datasets ADD COLUMN analysis_path TEXT NOT NULL DEFAULT '';
ALTER TABLE datasets ADD COLUMN n_peaks INTEGER NOT NULL DEFAULT 0;
