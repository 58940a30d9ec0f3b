"""Your own PyTorch model by hand.

- ``walk``: ``from_torch(module, x)``, tracing a small module with torch.fx and dispatching each node;
- ``layers``: one function per supported layer, adding its steps;
- ``work``: the walk's state and limits; ``layout``: how a tensor is drawn;
- ``templates``: the "Your model" page's example models, their weights, loaded (safetensors) and rounded.

torch is imported inside the functions only: ``import byhand.torchwalk`` never imports it.
"""

from .walk import MAX_CELLS, MAX_INPUT, MAX_PARAMETERS, MAX_STEPS, SUPPORTED, from_torch, torch_layout

__all__ = ["from_torch", "torch_layout", "SUPPORTED", "MAX_PARAMETERS", "MAX_INPUT", "MAX_CELLS", "MAX_STEPS"]
