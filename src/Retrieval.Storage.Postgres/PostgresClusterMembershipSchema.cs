namespace Retrieval.Storage.Postgres;

/// <summary>
/// The tables and queries behind cluster mode's membership: Orleans' ADO.NET clustering provider keeps the silos of a
/// cluster in the same PostgreSQL database as the data (docs/architecture.md, "Cluster mode").
/// </summary>
/// <remarks>
/// The provider fixes a contract, not a schema: at start-up it reads <c>SELECT QueryKey, QueryText FROM OrleansQuery</c>
/// and refuses to start unless every query key it needs is there; it then runs those texts with named parameters
/// (<c>@DeploymentId</c> is the cluster id, <c>@Address</c>/<c>@Port</c>/<c>@Generation</c> name one silo) and reads the
/// result columns by name. The Microsoft.Orleans.Clustering.AdoNet package ships no SQL, so the tables and query
/// texts here are ours, written against that contract: plain statements whose data-modifying CTEs do the
/// compare-and-set on the table version in one statement (so no stored functions to keep in step). Membership rows
/// and the version row are the provider's; nothing in Retrieval writes them.
/// </remarks>
internal static class PostgresClusterMembershipSchema
{
    /// <summary>Creates the tables and stores the query texts (schema upgrade 8).</summary>
    public const string Sql = """
        -- The provider's query catalogue (its name and columns are the provider's; other Orleans ADO.NET providers
        -- add their own keys to the same table).
        CREATE TABLE orleansquery (
            querykey  varchar(64)  NOT NULL PRIMARY KEY,
            querytext text         NOT NULL
        );
        -- One row per cluster: the membership table's version, the etag every membership change compares and bumps.
        CREATE TABLE orleans_membership_version (
            deployment_id text        NOT NULL PRIMARY KEY,
            version       integer     NOT NULL DEFAULT 0,
            updated_at    timestamptz NOT NULL DEFAULT now()
        );
        -- One row per silo incarnation (a restart on the same address and port is a new generation).
        CREATE TABLE orleans_membership (
            deployment_id   text        NOT NULL REFERENCES orleans_membership_version (deployment_id),
            address         text        NOT NULL,
            port            integer     NOT NULL,
            generation      integer     NOT NULL,
            silo_name       text        NOT NULL,
            host_name       text        NOT NULL,
            status          integer     NOT NULL,
            proxy_port      integer     NOT NULL DEFAULT 0,
            suspect_times   text,
            start_time      timestamptz NOT NULL,
            i_am_alive_time timestamptz NOT NULL,
            PRIMARY KEY (deployment_id, address, port, generation)
        );

        INSERT INTO orleansquery (querykey, querytext) VALUES
        ('InsertMembershipVersionKey', $q$
            WITH inserted AS (
                INSERT INTO orleans_membership_version (deployment_id) VALUES (@DeploymentId)
                ON CONFLICT (deployment_id) DO NOTHING
                RETURNING 1)
            SELECT count(*)::integer FROM inserted;
        $q$),
        -- Insert a silo's row only if the table is still at the version the silo read; 1 when both happened.
        ('InsertMembershipKey', $q$
            WITH bumped AS (
                UPDATE orleans_membership_version SET version = version + 1, updated_at = now()
                WHERE deployment_id = @DeploymentId AND version = @Version AND version < 2147483647
                  AND NOT EXISTS (SELECT 1 FROM orleans_membership
                                  WHERE deployment_id = @DeploymentId AND address = @Address
                                    AND port = @Port AND generation = @Generation)
                RETURNING 1),
            inserted AS (
                INSERT INTO orleans_membership (deployment_id, address, port, generation, silo_name, host_name,
                                                status, proxy_port, start_time, i_am_alive_time)
                SELECT @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
                       @Status, @ProxyPort, @StartTime, @IAmAliveTime
                WHERE EXISTS (SELECT 1 FROM bumped)
                ON CONFLICT DO NOTHING
                RETURNING 1)
            SELECT count(*)::integer FROM inserted;
        $q$),
        -- Update a silo's status and suspicions only if the table is still at the version the caller read.
        ('UpdateMembershipKey', $q$
            WITH bumped AS (
                UPDATE orleans_membership_version SET version = version + 1, updated_at = now()
                WHERE deployment_id = @DeploymentId AND version = @Version AND version < 2147483647
                  AND EXISTS (SELECT 1 FROM orleans_membership
                              WHERE deployment_id = @DeploymentId AND address = @Address
                                AND port = @Port AND generation = @Generation)
                RETURNING 1),
            updated AS (
                UPDATE orleans_membership
                SET status = @Status, suspect_times = @SuspectTimes,
                    i_am_alive_time = GREATEST(i_am_alive_time, @IAmAliveTime)
                WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port
                  AND generation = @Generation AND EXISTS (SELECT 1 FROM bumped)
                RETURNING 1)
            SELECT count(*)::integer FROM updated;
        $q$),
        -- The heartbeat; never moves backwards, needs no version check.
        ('UpdateIAmAlivetimeKey', $q$
            UPDATE orleans_membership SET i_am_alive_time = GREATEST(i_am_alive_time, @IAmAliveTime)
            WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation;
        $q$),
        -- The version row always comes back (a left join), with the silo's row when there is one.
        ('MembershipReadRowKey', $q$
            SELECT v.deployment_id AS "DeploymentId", m.address AS "Address", m.port AS "Port",
                   m.generation AS "Generation", m.silo_name AS "SiloName", m.host_name AS "HostName",
                   m.status AS "Status", m.proxy_port AS "ProxyPort", m.suspect_times AS "SuspectTimes",
                   m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime", v.version AS "Version"
            FROM orleans_membership_version v
            LEFT JOIN orleans_membership m
              ON m.deployment_id = v.deployment_id AND m.address = @Address AND m.port = @Port
             AND m.generation = @Generation
            WHERE v.deployment_id = @DeploymentId;
        $q$),
        ('MembershipReadAllKey', $q$
            SELECT v.deployment_id AS "DeploymentId", m.address AS "Address", m.port AS "Port",
                   m.generation AS "Generation", m.silo_name AS "SiloName", m.host_name AS "HostName",
                   m.status AS "Status", m.proxy_port AS "ProxyPort", m.suspect_times AS "SuspectTimes",
                   m.start_time AS "StartTime", m.i_am_alive_time AS "IAmAliveTime", v.version AS "Version"
            FROM orleans_membership_version v
            LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id
            WHERE v.deployment_id = @DeploymentId;
        $q$),
        ('DeleteMembershipTableEntriesKey', $q$
            DELETE FROM orleans_membership WHERE deployment_id = @DeploymentId;
            DELETE FROM orleans_membership_version WHERE deployment_id = @DeploymentId;
        $q$),
        -- Silo status 3 is Active: clients connect to the gateways of active silos.
        ('GatewaysQueryKey', $q$
            SELECT address AS "Address", proxy_port AS "ProxyPort", generation AS "Generation"
            FROM orleans_membership
            WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0;
        $q$),
        -- Pruning keeps only what can matter: rows of silos declared dead (status 6) whose last heartbeat is older
        -- than the cut-off and that carry no open suspicions.
        ('CleanupDefunctSiloEntriesKey', $q$
            DELETE FROM orleans_membership
            WHERE deployment_id = @DeploymentId AND status = 6 AND i_am_alive_time < @IAmAliveTime
              AND start_time < @IAmAliveTime AND COALESCE(suspect_times, '') = '';
        $q$),
        -- One dead row, removed only if it still holds the values the caller saw.
        ('CleanupDefunctSiloEntryKey', $q$
            DELETE FROM orleans_membership
            WHERE deployment_id = @DeploymentId AND status = 6 AND address = @Address AND port = @Port
              AND generation = @Generation AND i_am_alive_time = @IAmAliveTime AND start_time = @StartTime
              AND COALESCE(suspect_times, '') = COALESCE(@SuspectTimes, '');
        $q$);
        """;
}
