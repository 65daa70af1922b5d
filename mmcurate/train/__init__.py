"""Training on selected data: trainer-format export (export), built-in LoRA SFT with
transformers + peft (lora) and an external-trainer hook (external)."""
