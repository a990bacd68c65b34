-- omsi-catalog schema, version 1. Applied in one transaction by
-- catalog/catalog_open.c; PRAGMA user_version is set by the code.

-- One raw dataset as found on disk. A changed dataset at the same path is a
-- new row (version + 1); the old row stays, marked superseded.
CREATE TABLE sources (
    id            INTEGER PRIMARY KEY,
    path          TEXT    NOT NULL,              -- canonical absolute path given to the reader
    format        TEXT    NOT NULL,              -- reader name: img, imzml, mzml, bruckerflex
    size_bytes    INTEGER NOT NULL,              -- sum of the dataset's files
    n_files       INTEGER NOT NULL,
    n_datasets    INTEGER NOT NULL DEFAULT 0,    -- converted datasets (for stats)
    bytes_out     INTEGER NOT NULL DEFAULT 0,    -- size of the HDF5 file (for stats)
    fingerprint   TEXT    NOT NULL,              -- SHA-256 over names, sizes and contents
    version       INTEGER NOT NULL DEFAULT 1,
    first_seen    REAL    NOT NULL,              -- unix seconds
    ingested_at   REAL    NOT NULL,
    superseded_by INTEGER REFERENCES sources(id),
    UNIQUE (path, fingerprint)
);
CREATE INDEX sources_format ON sources(format);
CREATE INDEX sources_ingested ON sources(ingested_at);

-- The daemon's persistent queue (and a history of manual ingests).
CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY,
    source_path     TEXT    NOT NULL,
    format          TEXT,
    state           TEXT    NOT NULL
                    CHECK (state IN ('pending', 'running', 'done', 'failed', 'quarantined')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at REAL    NOT NULL DEFAULT 0,
    created_at      REAL    NOT NULL,
    started_at      REAL,
    finished_at     REAL,
    source_id       INTEGER REFERENCES sources(id)
);
CREATE INDEX jobs_state ON jobs(state, next_attempt_at);
CREATE INDEX jobs_path ON jobs(source_path);

CREATE TABLE output_files (
    id         INTEGER PRIMARY KEY,
    source_id  INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    path       TEXT    NOT NULL,
    bytes      INTEGER NOT NULL,
    sha256     TEXT    NOT NULL,
    created_at REAL    NOT NULL,
    seconds    REAL    NOT NULL                 -- conversion time
);
CREATE INDEX output_files_source ON output_files(source_id);

CREATE TABLE experiments (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    output_id   INTEGER NOT NULL REFERENCES output_files(id) ON DELETE CASCADE,
    entry_index INTEGER NOT NULL,
    identifier  TEXT    NOT NULL
);
CREATE INDEX experiments_source ON experiments(source_id);

CREATE TABLE datasets (
    id              INTEGER PRIMARY KEY,
    experiment_id   INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    source_id       INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    hdf5_path       TEXT    NOT NULL,            -- /entry_N/data_M
    name            TEXT    NOT NULL,            -- scan type or region name ('' if none)
    source_dataset  INTEGER NOT NULL,            -- reader dataset index
    source_region   INTEGER NOT NULL,            -- -1 = whole / merged
    nx              INTEGER NOT NULL,
    ny              INTEGER NOT NULL,
    nz              INTEGER NOT NULL,            -- m/z count
    n_pixels        INTEGER NOT NULL,            -- nx * ny
    dtype           TEXT    NOT NULL,
    mz_min          REAL    NOT NULL,
    mz_max          REAL    NOT NULL,
    spectra         INTEGER NOT NULL,
    total_intensity REAL    NOT NULL
);
CREATE INDEX datasets_source ON datasets(source_id);
CREATE INDEX datasets_experiment ON datasets(experiment_id);
CREATE INDEX datasets_mz ON datasets(mz_min, mz_max);
CREATE INDEX datasets_pixels ON datasets(n_pixels);

CREATE TABLE regions (
    id           INTEGER PRIMARY KEY,
    dataset_id   INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    region_index INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    x0           INTEGER NOT NULL,
    y0           INTEGER NOT NULL,
    nx           INTEGER NOT NULL,
    ny           INTEGER NOT NULL,
    spectra      INTEGER NOT NULL
);
CREATE INDEX regions_dataset ON regions(dataset_id);

CREATE TABLE dependencies (
    id              INTEGER PRIMARY KEY,
    from_dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    to_dataset_id   INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    link_name       TEXT    NOT NULL,
    type            TEXT    NOT NULL,
    help            TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX dependencies_from ON dependencies(from_dataset_id);
CREATE INDEX dependencies_to ON dependencies(to_dataset_id);

-- Metadata of a source (dataset_id NULL) or of one dataset.
CREATE TABLE metadata (
    id         INTEGER PRIMARY KEY,
    source_id  INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    dataset_id INTEGER REFERENCES datasets(id) ON DELETE CASCADE,
    collection TEXT    NOT NULL CHECK (collection IN ('dataset', 'instrument', 'methods')),
    key        TEXT    NOT NULL,
    value      TEXT,
    unit       TEXT,
    accession  TEXT                               -- ontology accession, e.g. IMS:1000046
);
CREATE INDEX metadata_key_value ON metadata(key, value);
CREATE INDEX metadata_source ON metadata(source_id);
CREATE INDEX metadata_dataset ON metadata(dataset_id);

-- Free text over names and metadata: one document per source.
CREATE VIRTUAL TABLE search USING fts5(names, metadata, tokenize = 'unicode61');
