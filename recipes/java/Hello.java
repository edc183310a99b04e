public class Hello {
    public static void main(String[] args) {
        long f = 1;
        for (int i = 2; i <= 10; i++) f *= i;
        System.out.println("Hello from Java on OSv: 10! = " + f);
    }
}
