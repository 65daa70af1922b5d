"""mmcurate: curate multimodal instruction data for training vision-language models."""

from mmcurate.sample import Message, Sample

__all__ = ["Message", "Sample", "__version__"]
__version__ = "0.1.0"
