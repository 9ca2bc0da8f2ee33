"""Search strategies, the asynchronous simulator, histories and leaderboards.

>>> import nasbench
>>> from strategies import Task, make_strategy, simulate
>>> task = Task(nasbench.load("nb201/cifar10"))                                   # doctest: +SKIP
>>> history = simulate(make_strategy("regularized_evolution", task.space, seed=0), task,
...                    max_evals=300)                                              # doctest: +SKIP
"""

from strategies.base import Strategy
from strategies.history import History, trajectory
from strategies.registry import STRATEGIES, make_strategy
from strategies.simulator import simulate
from strategies.task import Objective, Task

__all__ = ["Strategy", "History", "trajectory", "STRATEGIES", "make_strategy", "simulate", "Objective", "Task"]
