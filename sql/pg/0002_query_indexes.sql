-- omsi-catalog schema, version 2 (PostgreSQL dialect of
-- sql/0002_query_indexes.sql): indexes that let every query filter be
-- answered from an index.

-- --meta KEY=VALUE and KEY~TEXT: the matching sources come from the index
-- alone (covering: key, value, source_id), never from the table.
DROP INDEX IF EXISTS metadata_key_value;
CREATE INDEX metadata_key_value ON metadata(key, value, source_id);

-- --instrument TEXT: only the instrument collection is scanned.
CREATE INDEX metadata_collection ON metadata(collection, value, source_id);

-- --format: sources of one format, newest first.
DROP INDEX IF EXISTS sources_format;
CREATE INDEX sources_format ON sources(format, id);
