"""Speed of the training backend on this machine (prints figures; not a timed test).

Reports, for the nb201/digits pilot configuration and one thread: CPU and wall seconds of one
training step, of one full ``train_arch`` run for a few class representatives, and the batch-1
CPU latency. Run with ``python perf/perf_training.py``.
"""

import time

import numpy as np


def main():
    import torch

    from nasbench.training.data import load_digits
    from nasbench.training.model import build_network
    from nasbench.training.recipes import sample_representatives
    from nasbench.training.trainer import TrainConfig, train_arch

    torch.set_num_threads(1)
    # an early nb201/digits pilot setup (perf/perf_pilot.py lists them)
    config = TrainConfig(C=8, N=2, epochs=5, batch_size=64, device="cpu", n_threads=1,
                         latency_repeats=10, bn_recalibration=256)
    data = load_digits(500, 1000, 297, split_seed=0)

    net = build_network(6111, C=config.C, N=config.N, in_channels=1).to(memory_format=torch.channels_last)
    x = torch.as_tensor(data.x_train[:config.batch_size]).contiguous(memory_format=torch.channels_last)
    y = torch.as_tensor(data.y_train[:config.batch_size])
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    for i in range(23):
        if i == 3:
            wall, cpu = time.perf_counter(), time.process_time()
        loss = torch.nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"one step (arch 6111, C=8, N=2, batch {config.batch_size}): "
          f"{(time.process_time() - cpu) / 20 * 1e3:.1f} ms CPU, {(time.perf_counter() - wall) / 20 * 1e3:.1f} ms wall")

    cpu_s, wall_s, lat = [], [], []
    for arch in sample_representatives(10, 0).tolist():
        wall, cpu = time.perf_counter(), time.process_time()
        result = train_arch(arch, data, config, seed=0)
        cpu_s.append(time.process_time() - cpu)
        wall_s.append(time.perf_counter() - wall)
        lat.append(result.latency_ms)
    print(f"one train_arch run ({config.epochs} epochs x {len(data.y_train)} images, 10 archs): "
          f"median {np.median(cpu_s):.2f} s CPU, {np.median(wall_s):.2f} s wall; "
          f"batch-1 latency median {np.median(lat):.2f} ms")


if __name__ == "__main__":
    main()
