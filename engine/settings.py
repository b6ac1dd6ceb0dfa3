"""One settings object for the whole engine.

Every setting is declared once below with its default and help text. Values
come from, in rising order: the defaults, a TOML config file (``--config`` or
``ENGINE_CONFIG``), and ``ENGINE_<NAME>`` environment variables. Unknown keys, unknown ``ENGINE_*``
variables (``ENGINE_CONFIG`` aside) and wrong types stop start-up with a hint instead of
being ignored.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from engine.dialer.core.actions import MIN_RING_SECONDS

ENV_PREFIX = "ENGINE_"
# ENGINE_* variables that are not settings: the config file's path. Every other ENGINE_*
# variable must name a setting, or start-up stops (a typo would otherwise be ignored).
NON_SETTING_VARIABLES = frozenset({f"{ENV_PREFIX}CONFIG"})


class SettingsError(Exception):
    """A setting is missing, unknown or malformed. The message says which and why."""


def _setting(default: Any, help: str, secret: bool = False) -> Any:
    return field(default=default, metadata={"help": help, "secret": secret})


@dataclass(frozen=True)
class Settings:
    # Asterisk REST Interface
    ari_url: str = _setting("http://127.0.0.1:8088/ari", "Base URL of Asterisk's ARI.")
    ari_user: str = _setting("engine", "ARI user (ari.conf).")
    ari_password: str = _setting("", "ARI password. Required.", secret=True)
    ari_app: str = _setting("engine", "Name of the engine's Stasis application.")
    ari_max_connections: int = _setting(
        64, "HTTP connections to ARI at once; more requests wait for one (ari_pool_timeout)."
    )
    ari_pool_timeout: float = _setting(
        10.0, "Seconds an ARI request waits for a free connection before it fails."
    )
    # Asterisk Manager Interface
    ami_host: str = _setting("127.0.0.1", "AMI host.")
    ami_port: int = _setting(5038, "AMI TCP port.")
    ami_user: str = _setting("engine", "AMI user (manager.conf).")
    ami_secret: str = _setting("", "AMI secret. Required.", secret=True)
    # Engine HTTP API
    http_host: str = _setting("127.0.0.1", "Address the engine's HTTP API listens on.")
    http_port: int = _setting(8090, "Port of the engine's HTTP API.")
    api_token: str = _setting("", "Bearer token for the HTTP API. Required.", secret=True)
    session_hours: float = _setting(12.0, "Hours a browser login (session cookie) lasts.")
    session_cookie_secure: bool = _setting(
        False, "Send the session cookie over HTTPS only (set it when a TLS proxy fronts the API)."
    )
    instance_id: str = _setting(
        "",
        "Name of this engine among those sharing one Redis (default: the host name). Each "
        "engine needs its own: one whose instance_id a live engine holds is refused at "
        "start (docs/several-engines.md).",
    )
    cluster_peers: str = _setting(
        "",
        "The other engines' Asterisk boxes, instance_id=host:port of their SIP transport, "
        "comma-separated: each becomes a PJSIP trunk named after it, so an agent whose phone "
        "is registered there is dialled PJSIP/<ext>@<instance_id> (docs/several-engines.md).",
    )
    # State
    redis_url: str = _setting("redis://127.0.0.1:6379/0", "Redis for live shared state.")
    redis_prefix: str = _setting("tenure", "Prefix of every Redis key the engine writes.")
    redis_max_connections: int = _setting(
        64,
        "Redis connections the engine's commands use at most (subscriptions have their own); "
        "when all are busy a command waits for one (redis_pool_timeout) instead of failing.",
    )
    redis_pool_timeout: float = _setting(
        10.0, "Seconds a Redis command waits for a free connection before it fails."
    )
    database_path: str = _setting(
        "var/engine.db", "SQLite file for calls and profiles (when database_url is empty)."
    )
    database_url: str = _setting(
        "",
        "PostgreSQL for several engines sharing one store (postgresql://user:pw@host:port/db); "
        "empty: SQLite at database_path.",
        secret=True,
    )
    database_pool_size: int = _setting(
        8, "PostgreSQL connections (and threads) the engine's store uses at most."
    )
    database_pool_timeout: float = _setting(
        10.0, "Seconds a store call waits for a free PostgreSQL connection before it fails."
    )
    skills_dir: str = _setting("skills", "Folder of supervisor-edited YAML (agents, IVR...).")
    # Call handling
    agent_ring_timeout: float = _setting(
        15.0, "Seconds an agent's phone rings before the call goes back to the queue."
    )
    hold_music: str = _setting(
        "default", "Music-on-hold class callers hear while they wait for an agent (empty: silence)."
    )
    offer_pause_seconds: float = _setting(
        30.0,
        "An agent paused by a failed offer (rejected, not answered, unreachable) is made "
        "available again after this many seconds (0: stays paused until unpaused).",
    )
    offer_exclude_seconds: float = _setting(
        60.0,
        "An offer this box could not deliver (originate failed, congestion, phone "
        "unreachable from here) keeps the agent from this box's offers only, this many "
        "seconds; other boxes keep offering them.",
    )
    wrapup_seconds: float = _setting(
        0.0, "Seconds of wrap-up after each call before the agent is offered the next one."
    )
    # Sandbox Asterisk (hosts without Docker)
    sandbox_dir: str = _setting(
        "/var/lib/tenure-sandbox", "Where the sandbox keeps its Debian sid root filesystem."
    )
    sandbox_mirror: str = _setting(
        "http://deb.debian.org/debian", "Debian mirror debootstrap uses for the sandbox."
    )
    sip_host: str = _setting(
        "127.0.0.1", "Address the PJSIP transport binds (0.0.0.0 to reach real phones and trunks)."
    )
    sip_port: int = _setting(5060, "UDP port of the PJSIP transport (loopback in the sandbox).")
    sip_agents: str = _setting(
        "1001-1010",
        "Agent phone numbers given PJSIP endpoints: a range "
        "and/or a comma list, e.g. 1001-1010,2001.",
    )
    sip_agent_password: str = _setting(
        "",
        "SIP password of the agent phones (empty: no agent phone endpoints are configured).",
        secret=True,
    )
    sip_agent_codecs: str = _setting(
        "g722,ulaw,alaw,opus",
        "Codecs agent phones may use, preferred first (ulaw, alaw, g722, opus, gsm); "
        "Asterisk transcodes between a phone and a trunk that share none.",
    )
    sip_external_address: str = _setting(
        "",
        "Public address Asterisk puts in SIP and SDP for peers outside sip_local_net "
        "(behind NAT; empty: the bound address).",
    )
    sip_local_net: str = _setting(
        "",
        "Networks reached without NAT, comma-separated (e.g. 10.0.0.0/8,192.168.0.0/16; "
        "with sip_external_address).",
    )
    asterisk_config_dir: str = _setting(
        "",
        "Asterisk's configuration folder the engine writes trunk edits of "
        "skills/trunks.yaml into before a PJSIP reload (empty: the sandbox's, "
        "sandbox_dir/rootfs/etc/asterisk, when it exists; else trunk edits wait for a "
        "restart).",
    )
    softphone_secret: str = _setting(
        "",
        "Secret the browser softphones' SIP passwords are derived from (endpoints N-webrtc "
        "for the sip_agents numbers; empty: no softphones).",
        secret=True,
    )
    softphone_ws_url: str = _setting(
        "",
        "URL the desk's softphone connects to (Asterisk's SIP WebSocket, e.g. "
        "wss://pbx.example.com:8089/ws; empty: ws:// on the ARI host and port, path /ws).",
    )
    rtp_start: int = _setting(20000, "First RTP port Asterisk uses.")
    rtp_end: int = _setting(20999, "Last RTP port Asterisk uses.")
    # Speech and call audio
    speech_enabled: bool = _setting(
        True,
        "Speech IVR, live transcription and emotion scoring "
        "(off: DTMF only, no speech model needed).",
    )
    models_dir: str = _setting(
        "~/.cache/tenure/models",
        "Cache folder (outside the repository) where `models fetch` unpacks speech models.",
    )
    speech_models: str = _setting(
        "",
        "Speech model folder per language, e.g. "
        "zh=/srv/vosk-cn,en=/srv/vosk-en (default: zh from "
        "models_dir). Every listed model must load at start.",
    )
    speech_process: bool = _setting(
        True,
        "Recognition in its own process (model, recognizers, text scoring and intent "
        "matching out of the engine's memory and GIL; restarted if it dies); off: worker "
        "threads inside the engine process.",
    )
    speech_workers: int = _setting(0, "Recognition worker threads (0: one per CPU core).")
    speech_worker_nice: int = _setting(
        5,
        "OS priority (nice, 0-19) of the recognition worker threads, which also run "
        "SCHED_BATCH: decoding yields the CPU to call control (higher: more so, but on a "
        "machine busy with other work the recognisers fall behind).",
    )
    speech_worker_policy: str = _setting(
        "idle",
        "Scheduling of the free-form recognition workers in the recognizer process: idle "
        "(SCHED_IDLE: they run only on CPU that Asterisk, the engine and the IVR menus leave "
        "free) or batch (SCHED_BATCH at speech_worker_nice). Threads inside the engine "
        "(speech_process off) always use batch.",
    )
    speech_menu_process: bool = _setting(
        True,
        "IVR speech menus in a recognizer process of their own, at normal priority (off: "
        "they share the free-form recognizer process, on a normal-priority thread, and its "
        "workers use batch whatever speech_worker_policy says).",
    )
    speech_menu_nice: int = _setting(
        10,
        "OS priority (nice, -20-19) of the IVR menu recognizer process. At 10 menus take "
        "the CPU that call control leaves: at 200 calls with 10 callers in spoken menus, "
        "set-up p99 with speech on was a median 1.20x speech off over 13 rounds, "
        "against 1.41x at 0, and decisions stayed at 235-262 ms p50 "
        "(benchmarks/inbound_calls.py). Lower it "
        "if decisions come late on a machine busy with other work; below 0 (root or "
        "CAP_SYS_NICE) every spoken-menu leg takes CPU ahead of Asterisk and the engine "
        "(ten callers in menus at -5 starved call set-up). The process runs in a session "
        "of its own: with the kernel's autogroups this is also the nice of its scheduler "
        "group.",
    )
    speech_menu_denoise: bool = _setting(
        False,
        "Noise reduction on spoken-menu legs before recognition (MMSE log-spectral "
        "amplitude, telephone band; engine/speech/frontend.py); off: the raw audio.",
    )
    speech_max_legs: int = _setting(
        0,
        "Listening budget: call legs heard at once (0: measured at start by decoding a few "
        "seconds of audio on one worker, then lowered while the recognizers fall behind real "
        "time and raised back when they catch up; skills/listening.yaml says who is heard "
        "first). A number set here stays fixed.",
    )
    transcribe_calls: bool = _setting(
        True,
        "Transcribe caller and agent of connected calls "
        "live, with emotion scoring (needs "
        "speech_enabled; off: speech IVR only).",
    )
    emotion_model_dir: str = _setting(
        "",
        "Optional local transformers audio-classification "
        "model folder (extra `emotion`; empty: prosody and "
        "transcript only).",
    )
    media_host: str = _setting(
        "127.0.0.1",
        "Address the engine's RTP media server binds (externalMedia sends call audio there).",
    )
    media_port_start: int = _setting(30000, "First UDP port of the engine's RTP media server.")
    media_port_end: int = _setting(30999, "Last UDP port of the engine's RTP media server.")
    # Retention: proactive care and the A/B experiment (engine/profiles)
    care_webhook_url: str = _setting(
        "",
        "Webhook that receives proactive-care messages "
        "(JSON POST, retried; empty: recorded, not sent).",
    )
    ab_experiment: str = _setting(
        "retention",
        "Name of the A/B experiment; customers are assigned by a hash of it and their ID.",
    )
    ab_control_share: float = _setting(
        0.2,
        "Share of customers held out as the control arm: "
        "recorded, never contacted (0: no holdout).",
    )
    # Churn risk: learned model and outreach (engine/profiles/risk/service.py)
    risk_model_path: str = _setting(
        "",
        "JSON file of the learned risk model (`risk train` "
        "writes it; empty: risk-model.json next to "
        "database_path; no file: the weights of "
        "skills/risk-tags.yaml).",
    )
    callback_due_hours: float = _setting(
        24.0, "A customer who turns high risk gets a callback due within this many hours."
    )
    outreach_webhook_url: str = _setting(
        "",
        "Webhook for medium-risk messages and low-risk "
        "promotions (JSON POST, retried; empty: "
        "recorded, not sent).",
    )
    risk_sweep_hours: float = _setting(
        6.0,
        "Every this many hours all customers are "
        "re-scored (those never scored: at start), so "
        "tags that time alone makes true (30 days of "
        "silence) take effect (0: never).",
    )
    # Outbound dialer: campaigns over ARI with AMD (engine/dialer)
    dialer_trunk: str = _setting(
        "Local/{number}@sim-customers",
        "Dial string of an outbound "
        "call, {number} replaced (e.g. PJSIP/{number}@carrier), or the name of a trunk "
        "of skills/trunks.yaml (its prefix applied); the "
        "default reaches the sandbox's simulated customers.",
    )
    dialer_queue: str = _setting(
        "general",
        "Routing queue whose agents take the dialer's live answers (a campaign may name another).",
    )
    dialer_identification: str = _setting(
        "sound:hello,sound:please-try-call-later",
        "Media played to an abandoned live answer (no "
        "agent within 2 s) before hanging up: who called "
        "and how to call back (comma-separated URIs).",
    )
    dialer_machine_message: str = _setting(
        "sound:hello,sound:vm-message",
        "Media left on an "
        "answering machine (campaign policy machine = "
        "message; comma-separated URIs).",
    )
    dialer_abandon_limit: float = _setting(
        0.03, "Default abandon-rate limit of a campaign (abandoned / live answers)."
    )
    dialer_abandon_window: str = _setting(
        "US", "Default abandon-rate window: US (per campaign over 30 days) or UK (24 h)."
    )
    dialer_max_lines: int = _setting(
        50, "Most outbound lines in flight at once, all campaigns together (trunk capacity)."
    )
    dialer_cancel_after: float = _setting(
        15.0,
        "A predictive campaign may hang up a line "
        "still ringing after this many seconds when a "
        "person answering then would likely find no "
        "agent (recorded as no answer, retried as "
        "one). At least 15 (US and UK rules); 0: never.",
    )
    # The engine's process
    loop_slice_ms: float = _setting(
        0.2,
        "CPU time slice (ms, 0.1-100) the event loop's thread asks the kernel for "
        "(EEVDF, Linux 6.12+): shorter than the default (about 1.4 ms), a woken loop "
        "preempts a busy CPU sooner, for no more CPU (engine/timeslice.py; at 0.2 the "
        "200-call p99 set-up fell by a third, speech off and on, in "
        "benchmarks/inbound_calls.py); 0: the kernel's default.",
    )
    # Logging
    log_level: str = _setting("warning", "debug, info, warning or error.")
    log_format: str = _setting("json", "json (one object per line) or console.")

    # ---- derived values -------------------------------------------------
    @property
    def ari_host(self) -> str:
        return urlsplit(self.ari_url).hostname or "127.0.0.1"

    @property
    def ari_port(self) -> int:
        return urlsplit(self.ari_url).port or 80

    @property
    def skills_path(self) -> Path:
        return Path(self.skills_dir)

    @property
    def models_path(self) -> Path:
        return Path(self.models_dir).expanduser()

    @property
    def speech_model_paths(self) -> dict[str, Path]:
        """Language -> model folder: ``speech_models`` entries, else zh in ``models_dir``."""
        return parse_speech_models(self.speech_models, self.models_path)

    def require(self, *names: str) -> None:
        """Fail with a clear message when a setting a command needs is empty."""
        missing = [n for n in names if not getattr(self, n)]
        if missing:
            hint = ", ".join(f"{ENV_PREFIX}{n.upper()}" for n in missing)
            raise SettingsError(
                f"missing required setting(s): {', '.join(missing)} "
                f"(set them in the config file or as {hint})"
            )

    def redacted(self) -> dict[str, Any]:
        return {
            f.name: (
                "***" if f.metadata["secret"] and getattr(self, f.name) else getattr(self, f.name)
            )
            for f in fields(self)
        }


_LEVELS = {"debug", "info", "warning", "error"}
DEFAULT_SPEECH_MODELS = {"zh": "vosk-model-small-cn-0.22"}
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def parse_speech_models(raw: str, models_dir: Path) -> dict[str, Path]:
    """Parse ``zh=/path,en=/path`` (a relative path is taken inside ``models_dir``)."""
    if not raw.strip():
        return {lang: models_dir / name for lang, name in DEFAULT_SPEECH_MODELS.items()}
    result: dict[str, Path] = {}
    for item in raw.split(","):
        lang, sep, folder = (part.strip() for part in item.partition("="))
        if not sep or not _LANG.match(lang) or not folder:
            raise SettingsError(
                f"speech_models: expected lang=folder entries like "
                f"zh=/srv/vosk-cn, got {item.strip()!r}"
            )
        if lang in result:
            raise SettingsError(f"speech_models: language {lang!r} given twice")
        result[lang] = models_dir / Path(folder).expanduser()
    return result


def _coerce(name: str, raw: Any, kind: type, origin: str) -> Any:
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in {"1", "true", "yes", "on"}:
            return True
        if str(raw).lower() in {"0", "false", "no", "off"}:
            return False
    else:
        try:
            if kind is int and isinstance(raw, float):
                raise ValueError
            return kind(raw)
        except (TypeError, ValueError):
            pass
    raise SettingsError(f"{origin}: {name} must be {kind.__name__}, got {raw!r}")


def _counts(s: Settings) -> None:
    for name, zero in (("speech_workers", "one per core"), ("speech_max_legs", "measured")):
        if getattr(s, name) < 0:
            raise SettingsError(f"{name} must be 0 ({zero}) or more")
    if s.speech_worker_policy not in ("idle", "batch"):
        raise SettingsError(
            f"speech_worker_policy must be idle or batch, got {s.speech_worker_policy!r}"
        )
    if not -20 <= s.speech_menu_nice <= 19:
        raise SettingsError(f"speech_menu_nice must be -20-19, got {s.speech_menu_nice}")
    if not 0 <= s.speech_worker_nice <= 19:
        raise SettingsError(f"speech_worker_nice must be 0-19, got {s.speech_worker_nice}")


def _validate_offers(s: Settings) -> None:
    if s.offer_pause_seconds < 0:
        raise SettingsError("offer_pause_seconds must be 0 (never) or more")
    if s.offer_exclude_seconds <= 0:
        raise SettingsError("offer_exclude_seconds must be positive")


def _validate(s: Settings) -> None:
    if s.log_level not in _LEVELS:
        raise SettingsError(f"log_level must be one of {sorted(_LEVELS)}, got {s.log_level!r}")
    if s.log_format not in {"json", "console"}:
        raise SettingsError(f"log_format must be json or console, got {s.log_format!r}")
    for port_name in (
        "ami_port",
        "http_port",
        "sip_port",
        "rtp_start",
        "rtp_end",
        "media_port_start",
        "media_port_end",
    ):
        if not 0 < getattr(s, port_name) < 65536:
            raise SettingsError(f"{port_name} must be a port number, got {getattr(s, port_name)}")
    if s.rtp_start >= s.rtp_end:
        raise SettingsError("rtp_start must be below rtp_end")
    if s.media_port_start >= s.media_port_end:
        raise SettingsError("media_port_start must be below media_port_end")
    if s.media_port_start <= s.rtp_end and s.rtp_start <= s.media_port_end:
        raise SettingsError(
            "media_port_start..media_port_end must not overlap Asterisk's rtp_start..rtp_end"
        )
    _counts(s)
    parse_speech_models(s.speech_models, s.models_path)
    if urlsplit(s.ari_url).scheme not in {"http", "https"}:
        raise SettingsError(f"ari_url must be an http(s) URL, got {s.ari_url!r}")
    if not s.redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError(f"redis_url must be a redis:// URL, got {s.redis_url!r}")
    _validate_offers(s)
    if s.agent_ring_timeout <= 0:
        raise SettingsError("agent_ring_timeout must be positive")
    _validate_pools(s)
    _validate_dialer(s)


def _validate_pools(s: Settings) -> None:
    if s.redis_max_connections < 1:
        raise SettingsError("redis_max_connections must be 1 or more")
    if s.loop_slice_ms and not 0.1 <= s.loop_slice_ms <= 100:
        raise SettingsError(f"loop_slice_ms must be 0 or 0.1-100, got {s.loop_slice_ms}")
    if s.ari_max_connections < 1:
        raise SettingsError("ari_max_connections must be 1 or more")
    if s.redis_pool_timeout <= 0 or s.ari_pool_timeout <= 0:
        raise SettingsError("redis_pool_timeout and ari_pool_timeout must be positive")


def _validate_dialer(s: Settings) -> None:
    if "{number}" not in s.dialer_trunk and not re.fullmatch(r"[a-z][a-z0-9_-]*", s.dialer_trunk):
        raise SettingsError(
            "dialer_trunk must be a dial string containing {number} or the name of a "
            "trunk of skills/trunks.yaml"
        )
    if s.dialer_abandon_window not in ("US", "UK"):
        raise SettingsError(
            f"dialer_abandon_window must be US or UK, got {s.dialer_abandon_window!r}"
        )
    if not 0 < s.dialer_abandon_limit < 1:
        raise SettingsError("dialer_abandon_limit must be between 0 and 1")
    if s.dialer_max_lines < 1:
        raise SettingsError("dialer_max_lines must be at least 1")
    if s.dialer_cancel_after and s.dialer_cancel_after < MIN_RING_SECONDS:
        raise SettingsError(
            f"dialer_cancel_after must be 0 (never) or at least "
            f"{MIN_RING_SECONDS:g} s of ringing, got {s.dialer_cancel_after:g}"
        )


def _env_hint(key: str, declared: Iterable[str]) -> str:
    """`` (did you mean ENGINE_X?)`` for the closest setting's variable, else nothing."""
    known = [f"{ENV_PREFIX}{name.upper()}" for name in declared] + sorted(NON_SETTING_VARIABLES)
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def load(
    config_file: str | os.PathLike[str] | None = None,
    environ: dict[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build validated settings from defaults, a TOML file, the environment, then overrides."""
    env = os.environ if environ is None else environ
    declared = {f.name: f for f in fields(Settings)}
    kinds = {f.name: type(f.default) for f in fields(Settings)}
    values: dict[str, Any] = {}

    path = config_file or env.get(f"{ENV_PREFIX}CONFIG")
    if path:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise SettingsError(f"config file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: {exc}") from None
        for key, raw in data.items():
            if key not in declared:
                close = difflib.get_close_matches(key, declared, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise SettingsError(f"{path}: unknown setting {key!r}{hint}")
            values[key] = _coerce(key, raw, kinds[key], str(path))

    for key, raw in env.items():
        if not key.startswith(ENV_PREFIX) or key in NON_SETTING_VARIABLES:
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if name not in declared:
            raise SettingsError(f"environment: unknown variable {key}{_env_hint(key, declared)}")
        values[name] = _coerce(name, raw, kinds[name], f"environment {key}")

    for key, raw in overrides.items():
        if key not in declared:
            raise SettingsError(f"unknown setting {key!r}")
        values[key] = _coerce(key, raw, kinds[key], "override")

    settings = Settings(**values)
    _validate(settings)
    return settings


def documented_names() -> list[str]:
    return [f.name for f in fields(Settings)]


def describe() -> list[tuple[str, Any, str]]:
    """(name, default, help) for every setting: used by the README test and `config` CLI."""
    return [(f.name, f.default, f.metadata["help"]) for f in fields(Settings)]
