"""Data-parallel training under torchrun: one process per device, gloo on CPU, NCCL on CUDA.

    torchrun --standalone --nproc_per_node=2 train.py train.batch_size=256

Every rank draws the same global minibatch (the same generator, the same seed) and trains on
its own contiguous share of it; DistributedDataParallel averages the gradients, so N processes
take the same optimizer steps as one process with the whole batch. Only rank 0 writes.

    global minibatch ix (batch_size,):  [ rank 0's share | rank 1's share | ... ]
"""

import gc
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


SINGLE = Dist()


def from_env() -> Dist:
    """The process's place in a torchrun launch (RANK, WORLD_SIZE, LOCAL_RANK), or a single process."""
    if "WORLD_SIZE" not in os.environ:
        return SINGLE
    return Dist(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", 0)))


def init(world: Dist) -> None:
    """Join the process group once: gloo for CPU tensors, NCCL for CUDA tensors when there is a GPU."""
    if world.enabled and not dist.is_initialized():
        backend = "gloo"
        if torch.cuda.is_available():
            torch.cuda.set_device(world.local_rank)  # before NCCL talks to the GPU, one per rank
            backend = "cpu:gloo,cuda:nccl"
        dist.init_process_group(backend=backend, rank=world.rank, world_size=world.world_size)


def shutdown(clean: bool = True) -> None:
    """Leave the process group. After a clean finish every rank first waits for the others (rank 0 writes the run's
    last files while the rest are done), then lets go of the models that hold the group, so that no rank tears its
    gloo threads down while a peer still talks to it or leaves them to the interpreter's exit (which aborts)."""
    if dist.is_initialized():
        if clean:
            dist.barrier()
        gc.collect()  # a DistributedDataParallel left in a cycle still holds the group and its threads
        dist.destroy_process_group()


def device_for(world: Dist, device: torch.device) -> torch.device:
    """Under torchrun each rank takes the GPU of its local rank, unless the device names one."""
    if world.enabled and device.type == "cuda":
        device = torch.device("cuda", world.local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    return device


def share(x: torch.Tensor, world: Dist) -> torch.Tensor:
    """This rank's contiguous share of a tensor split along its first dimension (the last rank may get fewer)."""
    if not world.enabled:
        return x
    per = -(-len(x) // world.world_size)  # ceil
    return x[world.rank * per : (world.rank + 1) * per]


def all_sum(t: torch.Tensor, world: Dist) -> torch.Tensor:
    """The sum over ranks (in place); a no-op for a single process."""
    if world.enabled:
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


def broadcast(obj, world: Dist):
    """Rank 0's value of a picklable object, on every rank."""
    if not world.enabled:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]
