"""The reference stack's HTTP service, seed-style (api_fast.py is the fair one): FastAPI +
Uvicorn, POST /predict with one flow or an array of flows, validated by pydantic one object per
flow, scored by the RandomForests (model.py).

  BASELINE_MODEL=rf.joblib uvicorn api:app --workers 2 --port P     (from bench/baseline/)

No explanations: `explain` is accepted and ignored.
"""
from typing import List, Optional, Union

from fastapi import FastAPI
from pydantic import BaseModel

from model import Model


class Flow(BaseModel):
    id: Optional[int] = None
    dur: float
    proto: str
    service: str
    state: str
    spkts: float
    dpkts: float
    sbytes: float
    dbytes: float
    rate: float
    sttl: float
    dttl: float
    sload: float
    dload: float
    sloss: float
    dloss: float
    sinpkt: float
    dinpkt: float
    sjit: float
    djit: float
    swin: float
    stcpb: float
    dtcpb: float
    dwin: float
    tcprtt: float
    synack: float
    ackdat: float
    smean: float
    dmean: float
    trans_depth: float
    response_body_len: float
    ct_srv_src: float
    ct_state_ttl: float
    ct_dst_ltm: float
    ct_src_dport_ltm: float
    ct_dst_sport_ltm: float
    ct_dst_src_ltm: float
    is_ftp_login: float
    ct_ftp_cmd: float
    ct_flw_http_mthd: float
    ct_src_ltm: float
    ct_srv_dst: float
    is_sm_ips_ports: float
    attack_cat: Optional[str] = None
    label: Optional[int] = None


app = FastAPI(title="reference RandomForest service")
model = Model()


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.post("/predict")
def predict(flows: Union[Flow, List[Flow]], explain: int = 1):
    many = isinstance(flows, list)
    records = [f.model_dump() for f in (flows if many else [flows])]
    verdicts = model.predict(records)
    return verdicts if many else verdicts[0]
