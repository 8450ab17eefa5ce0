"""`sohoa services start|stop|status`: the embedded S3 server and reference warehouse receiver,
for using the review desk or the CLI on the demo data after `make demo` has stopped them."""

from __future__ import annotations

import argparse

from core.exitcodes import ExitCode


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("services", help="khởi động / dừng kho S3 nhúng và kho dữ liệu công dân tham chiếu (127.0.0.1)")
    p.add_argument("action", choices=("start", "stop", "status"))
    p.set_defaults(func=_services)


def _services(args: argparse.Namespace) -> int:
    from core.settings import get_settings
    from sohoa import services
    from storage._exec import weed

    settings = get_settings()
    if args.action == "start":
        s3 = services.start_s3(settings)
        print(f"S3 {s3.address}: {'đã khởi động' if s3.started_here else 'đang chạy sẵn'}")
        if settings.citizen_warehouse_url:
            wh = services.start_receiver(settings)
            print(f"Kho dữ liệu công dân {wh.address}: {'đã khởi động' if wh.started_here else 'đang chạy sẵn'}")
        return ExitCode.OK
    if args.action == "stop":
        stopped = [name for name, ok in (("S3", services.stop_s3(settings)),
                                         ("kho dữ liệu công dân", services.stop_receiver(settings))) if ok]
        print("Đã dừng: " + (", ".join(stopped) if stopped else "không có dịch vụ nào do sohoa khởi động"))
        return ExitCode.OK
    host, _, port = settings.s3_endpoint.partition(":")
    up = weed.port_open(host, int(port))
    print(f"S3 {settings.s3_endpoint}: {'đang chạy' if up else 'không chạy'}")
    return ExitCode.OK if up else ExitCode.SERVICE_UNAVAILABLE
