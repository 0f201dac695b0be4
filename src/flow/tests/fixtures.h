// Hand-written flows for the flow tests (not taken from the data set).
#pragma once

#include <string>

namespace flowsentry::flow::testing {

inline const std::string kHeader =
    "id,dur,proto,service,state,spkts,dpkts,sbytes,dbytes,rate,sttl,dttl,sload,dload,sloss,dloss,"
    "sinpkt,dinpkt,sjit,djit,swin,stcpb,dtcpb,dwin,tcprtt,synack,ackdat,smean,dmean,trans_depth,"
    "response_body_len,ct_srv_src,ct_state_ttl,ct_dst_ltm,ct_src_dport_ltm,ct_dst_sport_ltm,"
    "ct_dst_src_ltm,is_ftp_login,ct_ftp_cmd,ct_flw_http_mthd,ct_src_ltm,ct_srv_dst,"
    "is_sm_ips_ports,attack_cat,label";

// A TCP/HTTP flow: 10 packets each way, 1200 bytes out, 5400 back.
inline const std::string kRowHttp =
    "7,0.5,tcp,http,FIN,10,10,1200,5400,38.0,31,29,17280.0,77760.0,1,2,"
    "50.5,48.25,3.5,2.75,255,123456,654321,255,0.125,0.0625,0.0625,120,540,1,"
    "4096,3,1,2,1,1,2,0,0,1,3,4,0,Normal,0";

// A UDP flow with no service, labelled as an attack.
inline const std::string kRowUdp =
    "8,0.000009,udp,-,INT,2,0,114,0,111111.1,254,0,50666664.0,0.0,0,0,"
    "0.009,0.0,0.0,0.0,0,0,0,0,0.0,0.0,0.0,57,0,0,"
    "0,20,2,20,20,20,20,0,0,0,20,20,0,Generic,1";

inline const std::string kJsonHttp =
    R"({"id":7,"dur":0.5,"proto":"tcp","service":"http","state":"FIN","spkts":10,"dpkts":10,)"
    R"("sbytes":1200,"dbytes":5400,"rate":38.0,"sttl":31,"dttl":29,"sload":17280.0,)"
    R"("dload":77760.0,"sloss":1,"dloss":2,"sinpkt":50.5,"dinpkt":48.25,"sjit":3.5,"djit":2.75,)"
    R"("swin":255,"stcpb":123456,"dtcpb":654321,"dwin":255,"tcprtt":0.125,"synack":0.0625,)"
    R"("ackdat":0.0625,"smean":120,"dmean":540,"trans_depth":1,"response_body_len":4096,)"
    R"("ct_srv_src":3,"ct_state_ttl":1,"ct_dst_ltm":2,"ct_src_dport_ltm":1,)"
    R"("ct_dst_sport_ltm":1,"ct_dst_src_ltm":2,"is_ftp_login":0,"ct_ftp_cmd":0,)"
    R"("ct_flw_http_mthd":1,"ct_src_ltm":3,"ct_srv_dst":4,"is_sm_ips_ports":0,)"
    R"("attack_cat":"Normal","label":0})";

}  // namespace flowsentry::flow::testing
