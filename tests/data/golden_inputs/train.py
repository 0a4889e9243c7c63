"""Input of the golden files in tests/golden/: a short training script with two NaN risks."""
import torch

model = torch.nn.Linear(10, 2)
optimizer = torch.optim.Adam(model.parameters(), lr=0.5)

for inputs, targets in loader:
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(inputs), targets)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    loss.backward()
    optimizer.step()
    optimizer2 = torch.optim.SGD(model.parameters(), lr=2.0)  # noqa: NAN301 - suppressed
