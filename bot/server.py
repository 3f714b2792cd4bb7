"""`shegong serve`: the Gradio app at "/" and the OpenAI-compatible API at "/v1", one process."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from typing import TYPE_CHECKING

from ingest.offline import go_offline
from ingest.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from bot.service import QAService


def create_app(service: QAService) -> FastAPI:
    """One FastAPI app: /v1 routes first, then the Gradio UI mounted at "/"."""
    go_offline()  # before gradio is imported: no analytics, no hub calls
    # Gradio reads its upload folder from the environment; the default /tmp/gradio is shared by
    # every user of the machine, and a folder another user created refuses our uploads.
    upload_tmp = service.settings.upload_tmp_dir.resolve()
    upload_tmp.mkdir(parents=True, exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = str(upload_tmp)
    import gradio as gr
    from fastapi import FastAPI

    from bot.api import make_router
    from bot.http_guard import RequestGuard
    from bot.ui import UI_CSS, UI_HEAD, build_ui

    settings = service.settings
    app = FastAPI(title="社工政策问答", docs_url=None, redoc_url=None)
    app.add_middleware(
        RequestGuard,
        keys=settings.api_keys,
        api_limit=settings.max_api_request_kb * 1024,
        web_limit=int(settings.max_web_request_mb * 1048576),
    )
    app.include_router(make_router(service))
    mb = max(1, int(settings.max_upload_mb + 0.999))
    return gr.mount_gradio_app(
        app,
        build_ui(service),
        path="/",
        css=UI_CSS,
        head=UI_HEAD,
        footer_links=["api"],
        max_file_size=f"{mb}mb",
        ssr_mode=False,
        mcp_server=False,
        run_history=False,
    )


def _warm_up(service: QAService, started: float) -> None:
    """Ask one question so the embedding model and the index are loaded before anyone asks."""
    try:
        service.ask("社会工作")
    except Exception as err:  # a broken index must not take the UI down
        print(f"shegong: warm-up question failed: {err}", file=sys.stderr, flush=True)
        return
    took = time.perf_counter() - started
    print(f"shegong: model warm {took:.1f} s after start", file=sys.stderr, flush=True)


def _announce_ready(host: str, port: int, started: float) -> None:
    """Print the ready line once the port accepts connections (the model is warm by then)."""
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    took = time.perf_counter() - started
    print(
        f"shegong: ready at http://{host}:{port} ({took:.1f} s after start; model warm)",
        file=sys.stderr,
        flush=True,
    )


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Build the service, warm the model, then run the app with uvicorn until interrupted.

    The port opens only after the warm-up question: whoever can connect gets an answer at once,
    and "shegong: ready at …" is printed when it does."""
    started = time.perf_counter()
    go_offline()
    import uvicorn

    from bot.service import QAService

    service = QAService(settings)
    app = create_app(service)
    took = time.perf_counter() - started
    print(f"shegong: app built {took:.1f} s after start", file=sys.stderr, flush=True)
    _warm_up(service, started)
    threading.Thread(target=_announce_ready, args=(host, port, started), daemon=True).start()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
    )
