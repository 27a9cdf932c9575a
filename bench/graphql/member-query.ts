/** The member page every server of the benchmark answers: a member, its 10 newest orders with items, its tags. */
export const MEMBER_QUERY = `query MemberPage($id: ID!) { member(id: $id) {
  id name gender birthday phone email province city registeredAt registeredChannel level points
  orders(first: 10) { nodes { id channel channelOrderId status amount discount createdAt paidAt storeId
    items { sku productName category quantity price } } }
  tags { name value } } }`;
