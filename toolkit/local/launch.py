"""Beyond one process: the ``accelerate launch`` command of a local job, and accelerate configs.

``tunesmith local accelerate-config FILE --processes 4 [--deepspeed 2 | --fsdp]`` writes a config that
``accelerate launch`` reads (the same keys ``accelerate config`` writes); ``tunesmith train ... --provider
local --accelerate-config FILE`` then runs the job's worker as ``python -m accelerate.commands.launch
--config_file FILE -m toolkit.local.worker JOB_DIR``. Each process trains on its share of every batch
(``--batch-size`` stays the global batch); only the main process writes events, results and the model.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from ..errors import UsageError

STRATEGIES = ("ddp", "deepspeed", "fsdp")


def config(*, processes: int = 1, strategy: str = "ddp", zero_stage: int = 2, cpu: bool = False,
           mixed_precision: str = "no", machines: int = 1) -> dict[str, Any]:
    """An accelerate config for one machine with ``processes`` GPUs (or CPU processes with ``cpu``)."""
    if processes < 1 or machines < 1:
        raise UsageError("--processes and --machines must be at least 1")
    if strategy not in STRATEGIES:
        raise UsageError(f"strategy must be one of {', '.join(STRATEGIES)}")
    if strategy != "ddp" and cpu:
        raise UsageError("DeepSpeed and FSDP need GPUs; drop --cpu")
    if zero_stage not in (0, 1, 2, 3):
        raise UsageError(f"--deepspeed takes a ZeRO stage 0-3, not {zero_stage}")
    total = processes * machines
    distributed = {"ddp": ("MULTI_CPU" if cpu else "MULTI_GPU") if total > 1 else "NO",
                   "deepspeed": "DEEPSPEED", "fsdp": "FSDP"}[strategy]
    out: dict[str, Any] = {
        "compute_environment": "LOCAL_MACHINE", "distributed_type": distributed, "num_machines": machines,
        "num_processes": total, "machine_rank": 0, "main_training_function": "main",
        "mixed_precision": mixed_precision, "use_cpu": cpu, "rdzv_backend": "static", "same_network": True,
        "downcast_bf16": "no", "tpu_env": [], "tpu_use_cluster": False, "tpu_use_sudo": False,
    }
    if not cpu:
        out["gpu_ids"] = "all"
    if strategy == "deepspeed":
        out["deepspeed_config"] = {"zero_stage": zero_stage, "gradient_accumulation_steps": 1,
                                   "offload_optimizer_device": "none", "offload_param_device": "none",
                                   "zero3_init_flag": zero_stage == 3}
    if strategy == "fsdp":
        out["fsdp_config"] = {"fsdp_version": 2, "fsdp_auto_wrap_policy": "TRANSFORMER_BASED_WRAP",
                              "fsdp_cpu_ram_efficient_loading": True, "fsdp_offload_params": False,
                              "fsdp_reshard_after_forward": True, "fsdp_state_dict_type": "FULL_STATE_DICT"}
    return out


def write_config(path: str | os.PathLike[str], settings: dict[str, Any]) -> Path:
    """Write ``settings`` as YAML (what ``accelerate config`` writes)."""
    import yaml

    from ..atomic import write_atomic

    return write_atomic(path, yaml.safe_dump(settings, sort_keys=True).encode("utf-8"))


def check_config(path: str | os.PathLike[str]) -> Path:
    """The absolute path of an accelerate config that accelerate itself can load."""
    p = Path(path).resolve()
    if not p.is_file():
        raise UsageError(f"--accelerate-config {path}: no such file")
    try:
        from accelerate.commands.config.config_args import load_config_from_file

        load_config_from_file(str(p))
    except ImportError:
        raise UsageError("--accelerate-config needs the local extra: pip install \"tunesmith[local]\"") from None
    except Exception as exc:  # accelerate raises assorted errors for a bad file
        raise UsageError(f"--accelerate-config {path}: accelerate cannot read it ({type(exc).__name__}: {exc})") from None
    return p


def worker_command(job_dir: str | os.PathLike[str], *, resume: bool = False,
                   accelerate_config: str | os.PathLike[str] | None = None) -> list[str]:
    """The command that runs a job's worker, under ``accelerate launch`` when a config is given."""
    tail = ["-m", "toolkit.local.worker", str(job_dir)] + (["--resume"] if resume else [])
    if accelerate_config is None:
        return [sys.executable, *tail]
    return [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(accelerate_config), *tail]
