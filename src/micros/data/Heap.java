package micros.data;

import java.lang.management.ManagementFactory;

/**
 * Lets a full collection shrink the heap near what is live. The JVM's defaults leave up to 70% of
 * the heap free after one: with a big Base's index live (~60 MB for 2.4 million items) that kept
 * ~200 MB more resident than needed after micros' periodic trim (AppRuntime). At most 30% free.
 */
final class Heap {
    private Heap() {}

    private static volatile boolean set;

    /**
     * Sets the free ratios once, a second from now: loading the management classes costs ~15 ms of
     * CPU, which at start-up is taken from the gateway's own start on a 2-core machine. No full
     * collection comes sooner: micros' first trim is 2 s after its start.
     */
    static void keepNearLive() {
        if (set) return;
        set = true;
        Thread t = new Thread(Heap::setRatios, "micros-heap");
        t.setDaemon(true);
        t.start();
    }

    private static void setRatios() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            return;
        }
        try {
            var vm = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            for (String flag : new String[] {"MinHeapFreeRatio", "MaxHeapFreeRatio"}) {
                if (vm.getVMOption(flag).getOrigin() != com.sun.management.VMOption.Origin.DEFAULT) return; // the user's choice
            }
            vm.setVMOption("MinHeapFreeRatio", "10"); // lowered first: it may not pass the maximum
            vm.setVMOption("MaxHeapFreeRatio", "30");
        } catch (RuntimeException | LinkageError e) {
            // another JVM: its own heap policy stands
        }
    }
}
