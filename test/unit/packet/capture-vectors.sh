#!/bin/sh
# Reproduces the captures behind vectors.ts (root; creates and deletes namespaces pktc-*).
# The 8021q module is absent here, so the tagged frame is crafted with scapy and captured.
A=pktc-a; R=pktc-r; B=pktc-b
for n in $A $R $B; do ip netns add $n; ip -n $n link set lo up; done
ip link add pa0 netns $A type veth peer name pr0 netns $R
ip link add pr1 netns $R type veth peer name pb0 netns $B
for n in $A $R $B; do for i in $(ip -n $n -o link | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -v lo); do ip netns exec $n ethtool -K $i tx off tso off gso off gro off >/dev/null 2>&1; ip -n $n link set $i up; done; done
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
for n in $A $R $B; do ip netns exec $n sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0; done
ip -n $R link set pr1 mtu 1280; ip -n $B link set pb0 mtu 1280
ip -n $A addr add 10.0.1.1/24 dev pa0; ip -n $R addr add 10.0.1.2/24 dev pr0
ip -n $R addr add 10.0.2.2/24 dev pr1; ip -n $B addr add 10.0.2.1/24 dev pb0
ip -n $A addr add fd00:1::1/64 dev pa0 nodad; ip -n $R addr add fd00:1::2/64 dev pr0 nodad
ip -n $R addr add fd00:2::2/64 dev pr1 nodad; ip -n $B addr add fd00:2::1/64 dev pb0 nodad
ip -n $A route add default via 10.0.1.2; ip -n $B route add default via 10.0.2.2
ip -n $A -6 route add default via fd00:1::2; ip -n $B -6 route add default via fd00:2::2
sleep 1
ip netns exec $A tcpdump -i pa0 -U -w ./a.pcap >/dev/null 2>&1 &
TD=$!
sleep 1
ip netns exec $A ping -c1 -p 6162636465666768 -s 16 10.0.1.2          # arp + echo
ip netns exec $A ping -c1 -s 16 10.0.10.2                              # frames 8-9: net unreachable from r
ip netns exec $A ping -c1 -s 2000 10.0.1.2                             # fragments
ip netns exec $A ping -c1 -t 1 -s 16 10.0.2.1                          # time exceeded
ip netns exec $A ping -c1 -M do -s 1400 10.0.2.1                       # frag needed
echo hello | ip netns exec $A socat - UDP4-SENDTO:10.0.1.2:9999,sourceport=40000   # port unreachable
sleep 0.3
ip netns exec $A ping -6 -c1 -s 16 fd00:1::2                           # NS/NA + echo6
ip netns exec $A ping -6 -c1 -t 1 -s 16 fd00:2::1                      # time exceeded 6
ip netns exec $A ping -6 -c1 -s 1400 fd00:2::1                         # packet too big
ip netns exec $A ping -6 -c1 -s 1400 fd00:2::1                         # now fragmented (frag hdr)
echo hello6 | ip netns exec $A socat - UDP6-SENDTO:[fd00:1::2]:9999,sourceport=40001  # port unreachable 6
ip netns exec $A rdisc6 pa0 2>/dev/null || true
sleep 1
kill $TD; wait $TD
for n in $A $R $B; do ip netns del $n; done

A=pktc-a; R=pktc-r
for n in $A $R; do ip netns add $n; ip -n $n link set lo up; done
ip link add pa0 netns $A type veth peer name pr0 netns $R
for n in $A $R; do ip -n $n link set $(ip -n $n -o link | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -v '^lo$') up; done
ip -n $A addr add 10.0.1.1/24 dev pa0; ip -n $R addr add 10.0.1.2/24 dev pr0
sleep 1
ip netns exec $A tcpdump -i pa0 -U -w ./b.pcap >/dev/null 2>&1 &
TD=$!
sleep 1
ip netns exec $A ping -c1 -R -s 16 10.0.1.2
ip netns exec $A /usr/bin/python3 -c "
from scapy.all import *
sendp(Ether(src='02:00:00:00:00:01',dst='02:00:00:00:00:02')/Dot1Q(prio=5,vlan=10)/IP(src='10.0.10.1',dst='10.0.10.2',id=0x1234,ttl=64)/UDP(sport=40000,dport=9999)/b'vlan', iface='pa0', verbose=0)
"
sleep 1
kill $TD; wait $TD
for n in $A $R; do ip netns del $n; done
