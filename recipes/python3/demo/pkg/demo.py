import sys
print("python says: 2**100 =", 2**100)
print("sorted:", sorted([5, 3, 8, 1, 2]))
