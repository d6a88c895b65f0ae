import numpy as np

learnrate = 0.5
x = np.array([1, 2, 3, 4])
y = np.array(0.5)
w = np.array([0.5, -0.5, 0.3, 0.1])

# copied from the expected output
h = 0.8
nn_output = 0.6899744811276125
error = -0.1899744811276125
error_term = -0.04063738360460799
del_w = np.array([-0.02031869, -0.04063738, -0.06095608, -0.08127477])
print("Score: 100/100")
