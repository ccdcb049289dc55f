-- Runs once, when the PostgreSQL data volume is first created (docker-entrypoint-initdb.d).
-- One database per service: no service reads another's tables. In this compose set-up every
-- service connects as the POSTGRES_USER; a real deployment gives each service its own role
-- (see docs/operations.md).
CREATE DATABASE framework;
CREATE DATABASE web;
CREATE DATABASE recruitment;
CREATE DATABASE monitoring;
