-- The latest successful run of each pipeline stage (its parameters are the method's).
SELECT stage, arg_max(started_at, started_at) AS started_at,
       arg_max(finished_at, started_at) AS finished_at,
       arg_max(package_version, started_at) AS package_version,
       arg_max(parameters, started_at) AS parameters,
       arg_max(status, started_at) AS status
FROM pipeline_runs
WHERE status IS NULL OR status <> 'failed'
GROUP BY stage
ORDER BY stage
