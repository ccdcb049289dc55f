from monitoring_support import create_indicator, headers, ingest_csv, months, tree


def test_smoke(client, keys):
    t = tree(client, keys, "BHSCT")
    ind = create_indicator(client, keys)
    rows = [(ind["code"], t["a"]["code"], p, 10 + i % 3, 20) for i, p in enumerate(months(15))]
    rows += [(ind["code"], t["b"]["code"], p, 5, 20) for p in months(15)]
    r = ingest_csv(client, keys, "BHSCT", rows)
    assert r.json() == {"received": 30, "created": 30, "corrected": 0, "unchanged": 0}
    r = client.get(f"/indicators/{ind['id']}/units/{t['directorate']['id']}/chart", headers=headers(keys))
    assert r.status_code == 200, r.text
