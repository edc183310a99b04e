local s = 0
for i = 1, 100 do s = s + i end
print("lua: the sum of 1..100 is " .. s)
