"""Training one model: trainer.py is the loop; optim.py the optimizers and schedules; loss_window.py the minibatch
losses between log points; stops.py how a run ends early (signals, divergence, the time budget, patience); bar.py
the progress bar; compiled.py DDP and torch.compile; torch_private.py the one reader of private torch names;
checkpoints.py writes best.pt, last.pt and metrics.json; resume.py goes on exactly; finetune.py starts from a trained
run; memory.py checks the run fits before anything is allocated."""
