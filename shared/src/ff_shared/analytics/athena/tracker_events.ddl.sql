-- The same table as tracker_events.glue.json, for the Athena console. The environment partition
-- is "injected": every query names its environment (WHERE environment = '...').
CREATE EXTERNAL TABLE IF NOT EXISTS tracker_events (
  schema_version int,
  event_id string,
  session_id string,
  anonymous_id string,
  type string,
  form string,
  step string,
  field string,
  error_code string,
  client_time string,
  received_at string,
  context struct<utm_source:string,utm_medium:string,utm_campaign:string,referrer:string,device_class:string>,
  identity_hashes struct<email:string,phone:string,device:string,bank_account:string>,
  application_id string
)
PARTITIONED BY (environment string, dt string, hour string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true')
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://${bucket}/raw/'
TBLPROPERTIES (
  'classification' = 'json',
  'compressionType' = 'gzip',
  'projection.enabled' = 'true',
  'projection.environment.type' = 'injected',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2024-01-01,NOW',
  'projection.hour.type' = 'integer',
  'projection.hour.range' = '0,23',
  'projection.hour.digits' = '2',
  'storage.location.template' = 's3://${bucket}/raw/environment=${environment}/dt=${dt}/hour=${hour}/'
);
