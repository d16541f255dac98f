"""Training one model: trainer.py is the loop; optim.py the optimizers and schedules; loss_window.py the minibatch
losses between log points; stops.py how a run ends early (signals, divergence, the time budget, patience);
checkpoints.py writes best.pt and last.pt; resume.py goes on exactly; finetune.py starts from a trained run;
memory.py checks the run fits before anything is allocated."""
