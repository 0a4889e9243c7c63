# Seed article 002, example 3, fixed: the inputs standardized.
import torch
import torch.nn as nn
import torch.optim as optim


class SimpleModel(nn.Module):
    def __init__(self, input_size):
        super(SimpleModel, self).__init__()
        self.linear = nn.Linear(input_size, 1)

    def forward(self, x):
        return self.linear(x)


input_data = torch.randn(100, 1) * 100
input_data = (input_data - input_data.mean()) / (input_data.std() + 1e-8)
target_data = torch.randn(100, 1)
target_data = target_data * 25

model = SimpleModel(1)
optimizer = optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.MSELoss()

for epoch in range(5):
    optimizer.zero_grad()
    outputs = model(input_data)
    loss = loss_fn(outputs, target_data)
    loss.backward()
    optimizer.step()
