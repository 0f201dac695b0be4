"""The reference stack's HTTP service written for throughput (the "fair" baseline): FastAPI +
Uvicorn, POST /predict with one flow or an array of flows, parsed once into one pandas
DataFrame, validated vectorised (no pydantic object per flow), scored by the RandomForests in
one call per forest, and answered with pandas' JSON writer.

  BASELINE_MODEL=rf.joblib uvicorn api_fast:app --workers 2 --port P     (from bench/baseline/)

No explanations: `explain` is accepted and ignored. The answer has the fields of api.py's. A
body over 64 MiB is refused (413); a flow the forests cannot score makes the request a 422
naming the first such flow.
"""
import json

import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from model import Model, frame_of

MAX_BODY = 64 << 20

app = FastAPI(title="reference RandomForest service, batched")
model = Model()


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


async def read_capped(request):
    """The body, or None once it passes MAX_BODY (read no further)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def error(status, msg):
    return JSONResponse({"error": msg}, status_code=status)


@app.post("/predict")
async def predict(request: Request, explain: int = 1):
    body = await read_capped(request)
    if body is None:
        return error(413, f"body larger than {MAX_BODY} bytes")
    # Parsing and scoring are CPU-bound: the thread pool keeps the event loop answering (e.g.
    # /healthz) meanwhile, as FastAPI's sync endpoints do.
    return await run_in_threadpool(answer, body)


def answer(body):
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as e:  # RecursionError: nesting too deep
        return error(400, f"invalid JSON: {e}")
    many = isinstance(doc, list)
    flows = doc if many else [doc]
    if not flows or not all(isinstance(f, dict) for f in flows):
        return error(422, "expected a flow object or a non-empty array of flow objects")
    df = frame_of(flows)
    good = model.check_frame(df)
    if not good.all():
        return error(422, f"flow {int((~good).argmax())}: a field is missing or not valid")
    verdicts = model.score_frame(df)
    text = verdicts.to_json(orient="records") if many else verdicts.iloc[0].to_json()
    return Response(text, media_type="application/json")
