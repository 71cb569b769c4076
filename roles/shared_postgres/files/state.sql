-- What the server holds for the wanted databases (psql variable `spec`: JSON list of
-- {"name": database, "owner": role}). Read-only; prints one JSON document.
SELECT json_build_object(
  'databases', coalesce((
    SELECT json_agg(json_build_object(
      'name', w.name,
      'owner', w.owner,
      'role_exists', r.oid IS NOT NULL,
      'role_login', coalesce(r.rolcanlogin, false),
      'role_attrs_ok', coalesce(r.rolcanlogin AND NOT (r.rolsuper OR r.rolcreatedb OR r.rolcreaterole
                                OR r.rolreplication OR r.rolbypassrls), false),
      'db_exists', d.oid IS NOT NULL,
      'db_owner_ok', coalesce(d.datdba = r.oid, false),
      'public_connect', coalesce(has_database_privilege('public', d.oid, 'CONNECT'), false),
      'owner_connect', CASE WHEN d.oid IS NULL OR r.oid IS NULL THEN false
                            ELSE has_database_privilege(r.oid, d.oid, 'CONNECT') END,
      'foreign_connect', coalesce((
        SELECT json_agg(o.owner ORDER BY o.owner)
        FROM json_to_recordset(:'spec'::json) AS o(name text, owner text)
        JOIN pg_roles ro ON ro.rolname = o.owner
        WHERE o.owner <> w.owner AND d.oid IS NOT NULL AND NOT ro.rolsuper
          AND has_database_privilege(ro.oid, d.oid, 'CONNECT')), '[]'::json)
    ) ORDER BY w.name)
    FROM json_to_recordset(:'spec'::json) AS w(name text, owner text)
    LEFT JOIN pg_roles r ON r.rolname = w.owner
    LEFT JOIN pg_database d ON d.datname = w.name), '[]'::json),
  'maintenance_public_connect', coalesce((
    SELECT json_agg(datname ORDER BY datname) FROM pg_database
    WHERE datname IN ('postgres', 'template1') AND has_database_privilege('public', oid, 'CONNECT')),
    '[]'::json)
);
