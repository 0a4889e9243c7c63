# Seed article 000, example 3, fixed: inputs at unit scale.
import torch
import torch.nn as nn
import torch.optim as optim


class TestModel(nn.Module):
    def __init__(self):
        super(TestModel, self).__init__()
        self.linear = nn.Linear(10, 1)
        nn.init.xavier_uniform_(self.linear.weight)
        self.leakyrelu = nn.LeakyReLU(0.01)

    def forward(self, x):
        x = self.linear(x)
        x = self.leakyrelu(x)
        return x


model = TestModel()
criterion = nn.MSELoss()
optimizer = optim.SGD(model.parameters(), lr=0.01)
input_data = torch.randn(1, 10)
target_data = torch.randn(1, 1)
for i in range(10):
    optimizer.zero_grad()
    output = model(input_data)
    loss = criterion(output, target_data)
    loss.backward()
    optimizer.step()
    print(f"Iteration {i+1}, Loss: {loss.item()}")
