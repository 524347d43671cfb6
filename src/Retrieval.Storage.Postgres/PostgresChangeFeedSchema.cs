namespace Retrieval.Storage.Postgres;

/// <summary>
/// Schema upgrade 11: what lets every node of a cluster follow the shared store (docs/decisions.md, "Every node
/// follows the store"). Each collection row gains the definition's version (compare-and-set by definition changes and
/// by guarded writes), its open migration as <c>id:phase</c> (kept by a trigger, so that a guarded write compares one
/// row it already locks), and a catalog version that moves with every change of its definition, maps or migrations.
/// A one-row <c>catalog_version</c> moves when collections are created or deleted and when aliases change. Every such
/// change also sends <c>NOTIFY retrieval_catalog</c> with the collection's name (empty for the catalog) from inside
/// its transaction, so that listeners hear of it once it commits. The triggers bump only: which phases count as open
/// is the schema's existing rule (the <c>migrations_one_open</c> index), not a new one.
/// </summary>
internal static class PostgresChangeFeedSchema
{
    /// <summary>The channel of catalog notices; the payload is the collection's name, or empty for the catalog.</summary>
    public const string CatalogChannel = "retrieval_catalog";

    /// <summary>The channel of item notices; the payload is <c>sequence:collection</c>.</summary>
    public const string ItemsChannel = "retrieval_items";

    public const string Sql = """
        ALTER TABLE collections
            ADD COLUMN definition_version bigint NOT NULL DEFAULT 0,
            ADD COLUMN catalog_version    bigint NOT NULL DEFAULT 0,
            ADD COLUMN open_migration     text;
        UPDATE collections AS c SET open_migration = (
            SELECT string_agg(m.id || ':' || m.phase, ',' ORDER BY m.id) FROM migrations AS m
            WHERE m.collection = c.name AND m.phase NOT IN (8, 9));

        CREATE TABLE catalog_version (
            single  boolean NOT NULL PRIMARY KEY DEFAULT true CHECK (single),
            version bigint  NOT NULL
        );
        INSERT INTO catalog_version (single, version) VALUES (true, 0);

        CREATE FUNCTION retrieval_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE catalog_version SET version = version + 1;
            PERFORM pg_notify('retrieval_catalog', '');
            RETURN NULL;
        END $$;
        CREATE TRIGGER collections_created_or_deleted AFTER INSERT OR DELETE ON collections
            FOR EACH STATEMENT EXECUTE FUNCTION retrieval_catalog_changed();
        CREATE TRIGGER aliases_changed AFTER INSERT OR UPDATE OR DELETE ON aliases
            FOR EACH STATEMENT EXECUTE FUNCTION retrieval_catalog_changed();

        -- Only a new definition version: the sequence increment of every write batch passes by without a call.
        CREATE FUNCTION retrieval_definition_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.catalog_version := OLD.catalog_version + 1;
            PERFORM pg_notify('retrieval_catalog', NEW.name);
            RETURN NEW;
        END $$;
        CREATE TRIGGER collections_definition_changed BEFORE UPDATE ON collections
            FOR EACH ROW WHEN (OLD.definition_version IS DISTINCT FROM NEW.definition_version)
            EXECUTE FUNCTION retrieval_definition_changed();

        CREATE FUNCTION retrieval_maps_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            changed text := CASE WHEN TG_OP = 'DELETE' THEN OLD.collection ELSE NEW.collection END;
        BEGIN
            UPDATE collections SET catalog_version = catalog_version + 1 WHERE collections.name = changed;
            PERFORM pg_notify('retrieval_catalog', changed);
            RETURN NULL;
        END $$;
        CREATE TRIGGER maps_changed AFTER INSERT OR UPDATE OR DELETE ON maps
            FOR EACH ROW EXECUTE FUNCTION retrieval_maps_changed();

        -- A batch's counters update the migration row without touching updated_at: only phase changes (and the
        -- settings, maps and calibration they carry, always with a new updated_at) count as catalog changes.
        CREATE FUNCTION retrieval_migrations_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            changed text := CASE WHEN TG_OP = 'DELETE' THEN OLD.collection ELSE NEW.collection END;
        BEGIN
            UPDATE collections SET catalog_version = catalog_version + 1, open_migration = (
                SELECT string_agg(m.id || ':' || m.phase, ',' ORDER BY m.id) FROM migrations AS m
                WHERE m.collection = changed AND m.phase NOT IN (8, 9))
            WHERE collections.name = changed;
            PERFORM pg_notify('retrieval_catalog', changed);
            RETURN NULL;
        END $$;
        CREATE TRIGGER migrations_created_or_deleted AFTER INSERT OR DELETE ON migrations
            FOR EACH ROW EXECUTE FUNCTION retrieval_migrations_changed();
        CREATE TRIGGER migrations_changed AFTER UPDATE ON migrations
            FOR EACH ROW WHEN (OLD.phase IS DISTINCT FROM NEW.phase OR OLD.updated_at IS DISTINCT FROM NEW.updated_at)
            EXECUTE FUNCTION retrieval_migrations_changed();
        """;
}
