"""Typed clients of Collective's services, one package per service (`framework`, `recruitment`,
`monitoring`), each generated from the service's OpenAPI by `libs/clients/generate.py`:

- `<service>.models`: the service's schemas as pydantic models (datamodel-code-generator);
- `<service>.operations`: one function per operation, named after the route, that returns a
  `Call`: the request to make and how to read its answer, typed by the answer's model.

A `Call` is sent by whoever holds the connection (`runtime`): the web's per-user client, which
signs the user's token and turns refusals into the exceptions its pages handle, or a service's
own client (recruitment-api reading framework-api). Only `runtime` is written by hand."""
