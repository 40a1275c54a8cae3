{
  "targets": [
    {
      "target_name": "netsandbox",
      "sources": [
        "native/nl/message.cc",
        "native/nl/socket.cc",
        "native/nl/link.cc",
        "native/nl/address.cc",
        "native/nl/route.cc",
        "native/nl/neighbor.cc",
        "native/nl/rule.cc",
        "native/nl/nexthop.cc",
        "native/nl/conntrack.cc",
        "native/nl/events.cc",
        "native/ns/namespace.cc",
        "native/ns/sockets.cc",
        "native/ns/tun.cc",
        "native/ns/sysctl.cc",
        "native/ns/worker.cc",
        "native/binding/addon.cc",
        "native/binding/codec.cc",
        "native/binding/convert.cc",
        "native/binding/events.cc",
        "native/binding/jobs.cc",
        "native/binding/operations.cc",
        "native/binding/sandbox_handle.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter",
                    "<!@(pkg-config --cflags libmnl)"],
      "libraries": ["<!@(pkg-config --libs libmnl)", "-pthread"],
      "ldflags": ["-static-libstdc++", "-static-libgcc"]
    }
  ]
}
