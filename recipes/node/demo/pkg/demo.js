function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
console.log("node computed fib(25) = " + fib(25));
