import importlib.util, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("authz", Path(__file__).parent / "test_recruitment_authorisation.py")
authz = importlib.util.module_from_spec(spec); sys.modules["authz"] = authz; spec.loader.exec_module(authz)
state = authz.state
doc_literals = authz.doc_literals

def test_probe(client, keys, state, doc_literals):
    admin = authz.admin_headers(keys, authz.ORG)
    S = authz.S
    for path in [S + "/candidates/{candidate_id}/scores", S + "/results", S + "/results.csv", S + "/reliability",
                 "/vacancies/{vacancy_id}/candidates", "/vacancies/{vacancy_id}/candidates/{candidate_id}/subject-access",
                 "/vacancies/{vacancy_id}/candidates/{candidate_id}/feedback?stage=" + state.interview_id, S + "/moderation"]:
        r = client.get(authz._fill(path, state), headers=admin)
        for role in ("assessor_pending", "assessor_submitted", "hr_read_only", "equality_officer", "other_org_admin"):
            print(path, role, r.status_code, authz.leaks(role, "GET", path.split("?")[0], state, r, doc_literals)[:4])
    r = client.get(authz._fill(S + "/candidates/{candidate_id}/scores", state, candidate_id=state.candidates[1]["id"]), headers=admin)
    print("C2 view as submitted:", authz.leaks("assessor_submitted", "GET", S, state, r, doc_literals)[:3])
    print("C2 view as pending:", authz.leaks("assessor_pending", "GET", S, state, r, doc_literals)[:3])
