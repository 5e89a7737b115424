// Launcher starts ONE Elasticsearch or OpenSearch node in this JVM through the codelibs runner
// found on the classpath, for esdr's test bed. It is a single-file source program (no compile
// step) and uses reflection so the same file serves both runner families:
//
//   java -Xms384m -Xmx384m -XX:+UseSerialGC -cp 'JARS/*' Launcher.java BASE key=value... key=[a,b]...
//
// BASE is the node's home (data in BASE/node_1/data). Each key=value becomes a node setting,
// key=[a,b] a list setting; they are applied in onBuild so they win over the runner's defaults.
// The process runs until the node closes or it gets SIGTERM (the node is closed cleanly).
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.LinkedHashMap;
import java.util.Map;

public class Launcher {
    static final String[] RUNNERS = {
        "org.codelibs.opensearch.runner.OpenSearchRunner",
        "org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner",
    };

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: Launcher.java BASE key=value...");
            System.exit(2);
        }
        String base = args[0];
        Map<String, String> settings = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0) {
                System.err.println("launcher: bad setting " + args[i] + ", want key=value");
                System.exit(2);
            }
            settings.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }

        Class<?> runnerClass = findRunner();
        Object runner = runnerClass.getConstructor().newInstance();
        runnerClass.getMethod("setMaxHttpPort", int.class).invoke(runner, -1);

        Class<?> builderIface = Class.forName(runnerClass.getName() + "$Builder");
        Object onBuild = Proxy.newProxyInstance(builderIface.getClassLoader(), new Class<?>[] {builderIface},
            (proxy, m, a) -> {
                if (!m.getName().equals("build")) {
                    return m.getDeclaringClass() == Object.class ? m.invoke(settings, a) : null;
                }
                apply(a[1], settings);
                return null;
            });
        runnerClass.getMethod("onBuild", builderIface).invoke(runner, onBuild);

        Class<?> configsClass = Class.forName(runnerClass.getName() + "$Configs");
        Object configs = configsClass.getConstructor().newInstance();
        configsClass.getMethod("basePath", String.class).invoke(configs, base);
        configsClass.getMethod("numOfNode", int.class).invoke(configs, 1);
        String cluster = settings.get("cluster.name");
        if (cluster != null) {
            configsClass.getMethod("clusterName", String.class).invoke(configs, cluster);
        }

        Method close = runnerClass.getMethod("close");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                close.invoke(runner);
            } catch (Exception e) {
                System.err.println("launcher: close: " + e);
            }
        }));
        try {
            runnerClass.getMethod("build", configsClass).invoke(runner, configs);
        } catch (java.lang.reflect.InvocationTargetException e) {
            System.err.println("launcher: node failed to start:");
            e.getCause().printStackTrace();
            System.exit(1);
        }
        System.out.println("launcher: node started");
        Method isClosed = runnerClass.getMethod("isClosed");
        while (!(Boolean) isClosed.invoke(runner)) {
            Thread.sleep(1000);
        }
    }

    static Class<?> findRunner() {
        for (String r : RUNNERS) {
            try {
                return Class.forName(r);
            } catch (ClassNotFoundException e) {
                // try the next family
            }
        }
        System.err.println("launcher: no codelibs runner on the classpath (run scripts/install.sh)");
        System.exit(2);
        return null;
    }

    // apply puts every setting on the engine's Settings.Builder; [a,b] values become lists.
    static void apply(Object builder, Map<String, String> settings) throws Exception {
        Method put = builder.getClass().getMethod("put", String.class, String.class);
        Method putList = builder.getClass().getMethod("putList", String.class, String[].class);
        for (Map.Entry<String, String> e : settings.entrySet()) {
            String v = e.getValue();
            if (v.startsWith("[") && v.endsWith("]")) {
                String inner = v.substring(1, v.length() - 1);
                String[] items = inner.isEmpty() ? new String[0] : inner.split(",");
                putList.invoke(builder, e.getKey(), (Object) items);
            } else {
                put.invoke(builder, e.getKey(), v);
            }
        }
    }
}
