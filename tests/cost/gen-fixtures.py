#!/usr/bin/python3
"""Writes tests/cost/fixtures/*.json: a small estate (12 interfaces in two
zones) as the AWS CLI prints it. Shapes follow the AWS CLI examples of
describe-network-interfaces, describe-instances and describe-subnets and the
describe-traffic-mirror-* shapes of docs/aws-mirroring.md s2.2-s2.4; the
values are invented. tests/cost/run.sh explains what each interface tests."""
import json
import os

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
OWNER = "111122223333"
VPC = "vpc-0a1b2c3d4e5f60718"
SUB = {"a": "subnet-0aaaa1111bbbb2222", "b": "subnet-0bbbb2222cccc3333", "v6": "subnet-0cccc3333dddd4444"}
AZ = {"a": "us-east-1a", "b": "us-east-1b", "v6": "us-east-1b"}


def dump(name, obj):
    with open(name, "w") as f:
        json.dump(obj, f, indent=4)
        f.write("\n")


def dns(ip):
    return "ip-%s.ec2.internal" % ip.replace(".", "-")


def eni(n, id, sub, ip, desc, inst=None, itype="interface", requester=None, managed=False, v6=None):
    att = {"AttachTime": "2026-09-01T10:00:00.000Z", "AttachmentId": "eni-attach-" + id[4:],
           "DeleteOnTermination": inst is not None, "DeviceIndex": 0 if inst else 1,
           "InstanceOwnerId": OWNER if inst else "amazon-aws", "Status": "attached"}
    if inst:
        att["InstanceId"] = inst
    e = {"Attachment": att, "AvailabilityZone": AZ[sub], "Description": desc,
         "Groups": [{"GroupName": "default", "GroupId": "sg-0123456789abcdef0"}],
         "InterfaceType": itype, "Ipv6Addresses": [], "MacAddress": "02:00:00:00:00:%02x" % n,
         "NetworkInterfaceId": id, "OwnerId": OWNER}
    if ip:
        e.update({"PrivateDnsName": dns(ip), "PrivateIpAddress": ip,
                  "PrivateIpAddresses": [{"Primary": True, "PrivateDnsName": dns(ip), "PrivateIpAddress": ip}]})
    else:
        e["PrivateIpAddresses"] = []
    if v6:
        e["Ipv6Addresses"] = [{"Ipv6Address": v6, "IsPrimaryIpv6": True}]
    if requester:
        e["RequesterId"] = requester
    e.update({"RequesterManaged": managed, "SourceDestCheck": True, "Status": "in-use",
              "SubnetId": SUB[sub], "TagSet": [], "VpcId": VPC})
    return e


ifs = [
    eni(1, "eni-0a000000000000001", "a", "10.0.1.10", "web server (m5)", "i-0a000000000000001"),
    eni(2, "eni-0b000000000000002", "b", "10.0.2.20", "app server (c5), mirrored across zones", "i-0b000000000000002"),
    eni(3, "eni-0a000000000000003", "a", "10.0.1.30", "database (m6i)", "i-0a000000000000003"),
    eni(4, "eni-0b000000000000004", "b", "10.0.2.40", "legacy (t2)", "i-0b000000000000004"),
    eni(5, "eni-0a000000000000005", "a", "10.0.1.50", "batch (m4)", "i-0a000000000000005"),
    eni(6, "eni-0b000000000000006", "b", "10.0.2.30", "busy service", "i-0b000000000000006"),
    eni(7, "eni-0a000000000000007", "a", "10.0.1.70",
        "AWS Lambda VPC ENI-orders-handler-3f9a1c2e-1b2d-4e5f-8a9b-0c1d2e3f4a5b", None, "lambda",
        "AROAEXAMPLEROLEID12:orders-handler", True),
    eni(8, "eni-0b000000000000008", "b", "10.0.2.80", "Interface for NAT Gateway nat-0c1d2e3f4a5b6c7d8",
        None, "nat_gateway", "440000000000", True),
    eni(9, "eni-0a000000000000009", "a", "10.0.1.90", "sensor (mirror target)", "i-0a000000000000009"),
    eni(10, "eni-0a00000000000000a", "a", "10.0.1.100", "ELB net/mirror-nlb/7cdec873f1234567", None,
        "network_load_balancer", "amazon-elb", True),
    eni(11, "eni-0b00000000000000b", "b", "10.0.2.100", "ELB net/mirror-nlb/7cdec873f1234567", None,
        "network_load_balancer", "amazon-elb", True),
    eni(12, "eni-0c00000000000000c", "v6", None, "IPv6-only service", "i-0c00000000000000c",
        v6="2600:1f18:1234:5600::10"),
    # Service interfaces AWS prints with InterfaceType "interface": told
    # apart by their description and requester.
    eni(13, "eni-0a00000000000000d", "a", "10.0.1.130", "ELB app/shop-alb/50dc6c495c0c9188", None,
        "interface", "amazon-elb", True),
    eni(14, "eni-0b00000000000000e", "b", "10.0.2.140", "VPC Endpoint Interface vpce-0f00567fa8477a1e6",
        None, "interface", "AROAEXAMPLEVPCE00001", True),
]
dump("network-interfaces.json", {"NetworkInterfaces": ifs})


def inst(n, id, t, sub, ip, e):
    return {"Groups": [], "Instances": [{
        "AmiLaunchIndex": 0, "ImageId": "ami-0abcdef1234567890", "InstanceId": id, "InstanceType": t,
        "LaunchTime": "2026-09-01T10:00:00.000Z", "Monitoring": {"State": "disabled"},
        "Placement": {"AvailabilityZone": AZ[sub], "GroupName": "", "Tenancy": "default"},
        "PrivateDnsName": dns(ip) if ip else "", "PrivateIpAddress": ip or "", "ProductCodes": [],
        "PublicDnsName": "", "State": {"Code": 16, "Name": "running"}, "SubnetId": SUB[sub], "VpcId": VPC,
        "Architecture": "x86_64", "Hypervisor": "xen",
        "NetworkInterfaces": [{"NetworkInterfaceId": e, "SubnetId": SUB[sub], "VpcId": VPC}],
        "RootDeviceName": "/dev/xvda", "RootDeviceType": "ebs", "VirtualizationType": "hvm"}],
        "OwnerId": OWNER, "ReservationId": "r-0%016x" % n}


dump("instances.json", {"Reservations": [inst(n + 1, *x) for n, x in enumerate([
    ("i-0a000000000000001", "m5.large", "a", "10.0.1.10", "eni-0a000000000000001"),
    ("i-0b000000000000002", "c5.xlarge", "b", "10.0.2.20", "eni-0b000000000000002"),
    ("i-0a000000000000003", "m6i.large", "a", "10.0.1.30", "eni-0a000000000000003"),
    ("i-0b000000000000004", "t2.micro", "b", "10.0.2.40", "eni-0b000000000000004"),
    ("i-0a000000000000005", "m4.large", "a", "10.0.1.50", "eni-0a000000000000005"),
    ("i-0b000000000000006", "c5.large", "b", "10.0.2.30", "eni-0b000000000000006"),
    ("i-0a000000000000009", "c5.large", "a", "10.0.1.90", "eni-0a000000000000009"),
    ("i-0c00000000000000c", "c5.large", "v6", None, "eni-0c00000000000000c")])]})


def subnet(key, azid, cidr, v6cidr=None):
    s = {"AvailabilityZone": AZ[key], "AvailabilityZoneId": azid, "AvailableIpAddressCount": 240}
    if cidr:
        s["CidrBlock"] = cidr
    s.update({"DefaultForAz": False, "MapPublicIpOnLaunch": False, "State": "available",
              "SubnetId": SUB[key], "VpcId": VPC, "OwnerId": OWNER,
              "AssignIpv6AddressOnCreation": v6cidr is not None, "Ipv6CidrBlockAssociationSet": [],
              "SubnetArn": "arn:aws:ec2:us-east-1:%s:subnet/%s" % (OWNER, SUB[key]),
              "EnableDns64": v6cidr is not None, "Ipv6Native": v6cidr is not None})
    if v6cidr:
        s["Ipv6CidrBlockAssociationSet"] = [{"AssociationId": "subnet-cidr-assoc-0123456789abcdef0",
                                             "Ipv6CidrBlock": v6cidr,
                                             "Ipv6CidrBlockState": {"State": "associated"}}]
    return s


dump("subnets.json", {"Subnets": [subnet("a", "use1-az1", "10.0.1.0/24"), subnet("b", "use1-az2", "10.0.2.0/24"),
                                  subnet("v6", "use1-az2", None, "2600:1f18:1234:5600::/64")]})


def rule(fid, rid, d, n, act, src, dst, proto=None, dport=None, desc=""):
    r = {"TrafficMirrorFilterRuleId": rid, "TrafficMirrorFilterId": fid, "TrafficDirection": d,
         "RuleNumber": n, "RuleAction": act}
    if proto is not None:
        r["Protocol"] = proto
    if dport:
        r["DestinationPortRange"] = {"FromPort": dport[0], "ToPort": dport[1]}
    r.update({"DestinationCidrBlock": dst, "SourceCidrBlock": src, "Description": desc})
    return r


W, A, B = "tmf-0a0000000000000a1", "tmf-0a0000000000000a2", "tmf-0a0000000000000a3"
dump("mirror-filters.json", {"TrafficMirrorFilters": [
    {"TrafficMirrorFilterId": W,
     "IngressFilterRules": [rule(W, "tmfr-0000000000000a101", "ingress", 20, "reject", "0.0.0.0/0", "0.0.0.0/0", desc="the rest"),
                            rule(W, "tmfr-0000000000000a102", "ingress", 10, "accept", "0.0.0.0/0", "10.0.0.0/16", 6, (443, 443), "HTTPS in")],
     "EgressFilterRules": [rule(W, "tmfr-0000000000000a103", "egress", 10, "accept", "10.0.0.0/16", "0.0.0.0/0", desc="all out")],
     "NetworkServices": [], "Description": "web: HTTPS in, everything out", "Tags": []},
    {"TrafficMirrorFilterId": A,
     "IngressFilterRules": [rule(A, "tmfr-0000000000000a201", "ingress", 100, "accept", "0.0.0.0/0", "0.0.0.0/0")],
     "EgressFilterRules": [rule(A, "tmfr-0000000000000a202", "egress", 100, "accept", "0.0.0.0/0", "0.0.0.0/0")],
     "NetworkServices": ["amazon-dns"], "Description": "everything", "Tags": []},
    {"TrafficMirrorFilterId": B,
     "IngressFilterRules": [rule(B, "tmfr-0000000000000a3%02d" % n, "ingress", n * 10, "accept", "0.0.0.0/0", "10.0.%d.0/24" % n, 6) for n in range(1, 7)],
     "EgressFilterRules": [rule(B, "tmfr-0000000000000a3%02d" % (n + 10), "egress", n * 10, "accept", "10.0.%d.0/24" % n, "0.0.0.0/0", 17) for n in range(1, 6)],
     "NetworkServices": ["amazon-dns"], "Description": "eleven rules: one more than AWS allows", "Tags": []}]})


def ses(id, e, tgt, flt, num, vni, pl=None, desc=""):
    s = {"TrafficMirrorSessionId": id, "TrafficMirrorTargetId": tgt, "TrafficMirrorFilterId": flt,
         "NetworkInterfaceId": e, "OwnerId": OWNER}
    if pl:
        s["PacketLength"] = pl
    s.update({"SessionNumber": num, "VirtualNetworkId": vni, "Description": desc, "Tags": []})
    return s


TE, TN = "tmt-0a0000000000000e1", "tmt-0a0000000000000e2"
dump("mirror-sessions.json", {"TrafficMirrorSessions": [
    ses("tms-0a000000000000001", "eni-0a000000000000001", TE, W, 1, 101, 100, "web, first 100 bytes"),
    ses("tms-0b000000000000002", "eni-0b000000000000002", TE, A, 1, 102, None, "app, across zones"),
    ses("tms-0b000000000000003", "eni-0b000000000000006", TN, A, 1, 103, None, "busy 1"),
    ses("tms-0b000000000000004", "eni-0b000000000000006", TN, B, 2, 104, None, "busy 2"),
    ses("tms-0b000000000000005", "eni-0b000000000000006", TN, A, 3, 105, None, "busy 3"),
    ses("tms-0b000000000000006", "eni-0b000000000000006", TN, A, 4, 106, None, "busy 4: one more than AWS allows")]})
dump("mirror-targets.json", {"TrafficMirrorTargets": [
    {"TrafficMirrorTargetId": TE, "NetworkInterfaceId": "eni-0a000000000000009", "Type": "network-interface",
     "Description": "sensor in us-east-1a", "OwnerId": OWNER, "Tags": []},
    {"TrafficMirrorTargetId": TN,
     "NetworkLoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:%s:loadbalancer/net/mirror-nlb/7cdec873f1234567" % OWNER,
     "Type": "network-load-balancer", "Description": "sensor NLB in both zones", "OwnerId": OWNER, "Tags": []}]})
