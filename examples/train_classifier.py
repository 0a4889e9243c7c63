"""A small PyTorch training script with the mistakes nanlint is built to catch.

Run `nanlint examples/` to see them; `examples/train_classifier_fixed.py` is the
same script written safely and produces no findings.
"""

import argparse

import torch
import torch.nn as nn
import torch.optim as optim

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--epochs", type=int, default=10)
args = parser.parse_args()


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 64)
        self.fc2 = nn.Linear(64, 1)

    def forward(self, x):
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(x))))


model = Classifier()
optimizer = optim.Adam(model.parameters(), lr=args.lr)

inputs = torch.randn(256, 20)
targets = torch.randint(0, 2, (256, 1)).float()

for epoch in range(args.epochs):
    optimizer.zero_grad()
    probs = model(inputs)
    loss = -(targets * torch.log(probs) + (1 - targets) * torch.log(1 - probs)).mean()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    loss.backward()
    optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
